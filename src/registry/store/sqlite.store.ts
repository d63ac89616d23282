import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { upgradeRecord } from '../../model/check';
import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';
import { CommitRequest, LocalCommit } from './local-commit';
import {
  RegistrySnapshot,
  RegistryStore,
  StoreChange,
  StoreFeed,
  StoreGuard,
  StoreUnavailableError,
} from './registry-store';
import { TurnBatch } from './turn-batch';
import { WalCheckpointer } from './wal-checkpointer';

export const SQLITE_FILE = 'waypost.db';

/** The least time between two transactions while commits keep coming (why: turn-batch.ts). */
export const WRITE_GAP_MS = 1;

/** A commit waiting for the end of its turn, with its promise's ends. */
interface PendingCommit extends CommitRequest {
  services: readonly string[];
  resolve: (revision: number) => void;
  reject: (error: Error) => void;
}

/** A commit whose guards held, numbered, about to be written with the rest of its group. */
interface NumberedCommit extends PendingCommit {
  revision: number;
}

/**
 * STORE=sqlite: one file in DATA_DIR. WAL with synchronous=NORMAL: a committed transaction is in the
 * OS before commit resolves, so it survives kill -9 of Waypost (not a power cut: that would need FULL
 * and cost a disk flush per registration). Group commit: the commits asked during one turn of the
 * event loop — and, under load, within WRITE_GAP_MS of the last transaction — are written in one
 * sqlite transaction, each with its own revision, and each resolves only after that transaction: a
 * transaction's fixed cost (its WAL frames) is paid once a group, not once a registration.
 */
export class SqliteRegistryStore implements RegistryStore {
  private readonly db: Database.Database;
  private readonly write: (group: readonly NumberedCommit[]) => void;
  private readonly local = new LocalCommit();
  private readonly turn = new TurnBatch<PendingCommit>((group) => this.flush(group), WRITE_GAP_MS);
  /** A write failed (full disk, read-only file): readiness is down until a write succeeds again. */
  private cannotWrite = false;
  private readonly probeWrite: Database.Statement;
  private readonly checkpointer: WalCheckpointer;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, SQLITE_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.checkpointer = new WalCheckpointer(this.db, join(dataDir, SQLITE_FILE));
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
    // The index goes in the same transaction as the changes: after kill -9 the two agree.
    this.write = this.db.transaction((group: readonly NumberedCommit[]) => {
      for (const { changes, revision, services } of group) {
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
        for (const service of services) putServiceIndex.run(service, revision);
      }
      putIndex.run(group[group.length - 1].revision);
    });
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
    if (!this.db.open)
      return Promise.reject(new StoreUnavailableError('the sqlite store is closed'));
    return new Promise((resolve, reject) =>
      this.turn.add({ changes, guards, services, resolve, reject }),
    );
  }

  /**
   * Writes one turn's commits in one transaction. A commit whose guard fails (an earlier one of the
   * same turn moved its key) is refused alone; a failed write (a full disk, a read-only file)
   * rolls the whole transaction back and refuses every commit in it.
   */
  private flush(group: PendingCommit[]): void {
    const revisions = this.local.prepareGroup(group);
    const numbered: NumberedCommit[] = [];
    group.forEach((request, i) => {
      const revision = revisions[i];
      if (revision !== null) numbered.push({ ...request, revision });
    });
    if (numbered.length > 0) {
      try {
        this.write(numbered);
        this.cannotWrite = false;
      } catch (error) {
        this.cannotWrite = true;
        const code = (error as { code?: string }).code ?? (error as Error).message;
        const refusal = new StoreUnavailableError(`the sqlite store cannot write (${code})`);
        for (const request of group) request.reject(refusal);
        return;
      }
    }
    for (const { changes, revision, resolve, reject } of numbered) {
      // Durable either way: a reader that throws fails its own request, not the rest of the group.
      try {
        resolve(this.local.committed(changes, revision));
      } catch (error) {
        reject(error as Error);
      }
    }
    group.forEach((request, i) => {
      if (revisions[i] === null) request.reject(this.local.conflict());
    });
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

  /** Closed at once (readiness fails at once); the checkpoint worker's connection goes after. */
  async close(): Promise<void> {
    this.turn.drain();
    if (this.db.open) this.db.close();
    await this.checkpointer.close();
  }
}
