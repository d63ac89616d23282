import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';
import { RegistrySnapshot, RegistryStore, StoreChange } from './registry-store';

export const SQLITE_FILE = 'waypost.db';

/**
 * STORE=sqlite: one file in DATA_DIR. WAL with synchronous=NORMAL: a committed transaction is in the
 * OS before commit returns, so it survives kill -9 of Waypost (not a power cut: that would need FULL
 * and cost a disk flush per registration).
 */
export class SqliteRegistryStore implements RegistryStore {
  private readonly db: Database.Database;
  private readonly apply: (changes: readonly StoreChange[]) => void;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, SQLITE_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, service_type TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS routes (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
    `);
    const putInstance = this.db.prepare(
      'INSERT OR REPLACE INTO instances (id, service_type, doc) VALUES (?, ?, ?)',
    );
    const deleteInstance = this.db.prepare('DELETE FROM instances WHERE id = ?');
    const putRoute = this.db.prepare('INSERT OR REPLACE INTO routes (id, doc) VALUES (?, ?)');
    const deleteRoute = this.db.prepare('DELETE FROM routes WHERE id = ?');
    this.apply = this.db.transaction((changes: readonly StoreChange[]) => {
      for (const change of changes) {
        switch (change.op) {
          case 'putInstance':
            putInstance.run(
              change.instance.id,
              change.instance.serviceType,
              JSON.stringify(change.instance),
            );
            break;
          case 'deleteInstance':
            deleteInstance.run(change.id);
            break;
          case 'putRoute':
            putRoute.run(change.route.id, JSON.stringify(change.route));
            break;
          case 'deleteRoute':
            deleteRoute.run(change.id);
            break;
        }
      }
    });
  }

  load(): RegistrySnapshot {
    const docs = (sql: string) =>
      (this.db.prepare(sql).all() as { doc: string }[]).map((row) => JSON.parse(row.doc));
    return {
      instances: docs('SELECT doc FROM instances ORDER BY rowid') as InstanceRecord[],
      routes: docs('SELECT doc FROM routes ORDER BY rowid') as RouteRecord[],
    };
  }

  commit(changes: readonly StoreChange[]): void {
    if (changes.length > 0) this.apply(changes);
  }

  ping(): boolean {
    try {
      return this.db.prepare('SELECT 1 AS ok').get() !== undefined;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
