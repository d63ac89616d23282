import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';
import { IndexMark, RegistrySnapshot, RegistryStore, StoreChange } from './registry-store';

export const SQLITE_FILE = 'waypost.db';

/**
 * STORE=sqlite: one file in DATA_DIR. WAL with synchronous=NORMAL: a committed transaction is in the
 * OS before commit returns, so it survives kill -9 of Waypost (not a power cut: that would need FULL
 * and cost a disk flush per registration).
 */
export class SqliteRegistryStore implements RegistryStore {
  private readonly db: Database.Database;
  private readonly apply: (changes: readonly StoreChange[], mark: IndexMark) => void;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, SQLITE_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, service_type TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS routes (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS service_index (service_type TEXT PRIMARY KEY, idx INTEGER NOT NULL);
    `);
    const putIndex = this.db.prepare(
      "INSERT OR REPLACE INTO meta (key, value) VALUES ('index', ?)",
    );
    const putServiceIndex = this.db.prepare(
      'INSERT OR REPLACE INTO service_index (service_type, idx) VALUES (?, ?)',
    );
    const putInstance = this.db.prepare(
      'INSERT OR REPLACE INTO instances (id, service_type, doc) VALUES (?, ?, ?)',
    );
    const deleteInstance = this.db.prepare('DELETE FROM instances WHERE id = ?');
    const putRoute = this.db.prepare('INSERT OR REPLACE INTO routes (id, doc) VALUES (?, ?)');
    const deleteRoute = this.db.prepare('DELETE FROM routes WHERE id = ?');
    // The index goes in the same transaction as the change: after kill -9 the two agree.
    this.apply = this.db.transaction((changes: readonly StoreChange[], mark: IndexMark) => {
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
      putIndex.run(mark.index);
      for (const service of mark.services) putServiceIndex.run(service, mark.index);
    });
  }

  load(): RegistrySnapshot {
    const docs = (sql: string) =>
      (this.db.prepare(sql).all() as { doc: string }[]).map((row) => JSON.parse(row.doc));
    return {
      instances: docs('SELECT doc FROM instances ORDER BY rowid') as InstanceRecord[],
      routes: docs('SELECT doc FROM routes ORDER BY rowid') as RouteRecord[],
      index:
        (
          this.db.prepare("SELECT value FROM meta WHERE key = 'index'").get() as
            { value: number } | undefined
        )?.value ?? 0,
      serviceIndexes: Object.fromEntries(
        (
          this.db.prepare('SELECT service_type, idx FROM service_index').all() as {
            service_type: string;
            idx: number;
          }[]
        ).map((row) => [row.service_type, row.idx]),
      ),
    };
  }

  commit(changes: readonly StoreChange[], mark: IndexMark): void {
    if (changes.length > 0) this.apply(changes, mark);
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
