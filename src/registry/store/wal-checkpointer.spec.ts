import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { WalCheckpointer } from './wal-checkpointer';

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the WAL checkpointer', () => {
  let dir: string;
  let db: Database.Database;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'waypost-wal-'));
    file = join(dir, 'test.db');
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v TEXT)');
  });

  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (rows: number) => {
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < rows; i++) insert.run('x'.repeat(500));
  };

  it('copies the WAL into the database file from its own thread; the writer waits for 8 MiB', async () => {
    const checkpointer = new WalCheckpointer(db, file, 20);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(2000);
    const before = statSync(file).size;
    write(200);
    // The writer keeps its 200 rows in the WAL; only a checkpoint moves them into the file.
    expect(statSync(file).size).toBe(before);
    await until(() => statSync(file).size > before + 100 * 500);
    // A second reader sees every row: what was copied is the database's own.
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 200 });
    reader.close();
    await checkpointer.close();
    expect(checkpointer.running).toBe(false);
  });

  it('hands checkpoints back to the writing connection when its worker ends', async () => {
    const checkpointer = new WalCheckpointer(db, file, 20);
    await until(() => checkpointer.running);
    await (checkpointer as unknown as { worker: Worker }).worker.terminate();
    await until(() => !checkpointer.running);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
