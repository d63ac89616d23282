import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { upgradeRecord } from '../../model/check';
import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';
import { LocalCommit } from './local-commit';
import {
  RegistrySnapshot,
  RegistryStore,
  StoreChange,
  StoreFeed,
  StoreGuard,
  StoreUnavailableError,
} from './registry-store';

export const SQLITE_FILE = 'waypost.db';

/**
 * STORE=sqlite: one file in DATA_DIR. WAL with synchronous=NORMAL: a committed transaction is in the
 * OS before commit returns, so it survives kill -9 of Waypost (not a power cut: that would need FULL
 * and cost a disk flush per registration).
 */
export class SqliteRegistryStore implements RegistryStore {
  private readonly db: Database.Database;
  private readonly apply: (
    changes: readonly StoreChange[],
    revision: number,
    services: readonly string[],
  ) => void;
  private readonly local = new LocalCommit();
  /** A write failed (full disk, read-only file): readiness is down until a write succeeds again. */
  private cannotWrite = false;
  private readonly probeWrite: Database.Statement;

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
    this.probeWrite = this.db.prepare(
      "INSERT OR REPLACE INTO meta (key, value) VALUES ('write_probe', ?)",
    );
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
    this.apply = this.db.transaction(
      (changes: readonly StoreChange[], revision: number, services: readonly string[]) => {
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
        putIndex.run(revision);
        for (const service of services) putServiceIndex.run(service, revision);
      },
    );
  }

  load(): Promise<RegistrySnapshot> {
    return Promise.resolve(this.local.loaded(this.read()));
  }

  follow(feed: StoreFeed): void {
    this.local.follow(feed);
  }

  private read(): Omit<RegistrySnapshot, 'revisions'> {
    const docs = (sql: string) =>
      (this.db.prepare(sql).all() as { doc: string }[]).map((row) => JSON.parse(row.doc));
    return {
      instances: (docs('SELECT doc FROM instances ORDER BY rowid') as InstanceRecord[]).map(
        upgradeRecord,
      ),
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

  commit(
    changes: readonly StoreChange[],
    guards: readonly StoreGuard[],
    services: readonly string[],
  ): Promise<number> {
    try {
      if (!this.db.open) throw new StoreUnavailableError('the sqlite store is closed');
      const revision = this.local.prepare(guards);
      try {
        this.apply(changes, revision, services);
        this.cannotWrite = false;
      } catch (error) {
        // A full disk, a read-only file: the transaction rolled back whole.
        this.cannotWrite = true;
        const code = (error as { code?: string }).code ?? (error as Error).message;
        throw new StoreUnavailableError(`the sqlite store cannot write (${code})`);
      }
      return Promise.resolve(this.local.committed(changes, revision));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Reads answer; after a failed write, only a write that succeeds again counts (a one-row probe). */
  ping(): boolean {
    try {
      if (this.cannotWrite) {
        this.probeWrite.run(Date.now());
        this.cannotWrite = false;
      }
      return this.db.prepare('SELECT 1 AS ok').get() !== undefined;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
