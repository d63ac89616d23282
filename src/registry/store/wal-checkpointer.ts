import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies the WAL into the database file. */
export const CHECKPOINT_INTERVAL_MS = 250;

/** SQLite's own default, back in force if the checkpointer is gone. */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * While the worker runs, the writer still checkpoints once the WAL passes this many pages (8 MiB):
 * a passive checkpoint beside a busy writer may never catch up (a CI churn run reached 19 MiB with
 * none), and this bounds the WAL while costing the writer nothing as long as the worker keeps up.
 */
const BACKSTOP_PAGES = 2000;

/**
 * The worker's code, run from a string so it needs no file of its own next to the build (the
 * tests run the sources): a second connection to the same file that checkpoints PASSIVE — never
 * waiting for the writer, never making it wait — on a timer.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    // Frames the writer added during a pass are copied by the next, each shorter than the last:
    // once a pass copies all, the writer starts the WAL over at its next commit.
    for (let pass = 0; pass < 8; pass++) {
      const [row] = db.pragma('wal_checkpoint(PASSIVE)');
      if (row.checkpointed >= row.log) break;
    }
  } catch {
    // A full disk or a busy file: the next tick tries again; the WAL keeps every frame meanwhile.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Keeps the sqlite WAL short without the event loop paying for it: SQLite checkpoints in the
 * committing connection by default, so every thousandth page a registration waited while pages
 * were copied and the database file fsynced (measured: 54–64 writes of a 25,000-registration run
 * over 5 ms, one of 519 ms; with this worker 1–7, the longest 21 ms). Here a worker thread
 * checkpoints instead, with the writer's own as a backstop past BACKSTOP_PAGES. If the worker ends or
 * cannot start, the writing connection checkpoints as SQLite would.
 */
export class WalCheckpointer {
  private worker: Worker | null = null;

  constructor(
    private readonly db: Database.Database,
    file: string,
    intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {
    try {
      const worker = new Worker(WORKER, {
        eval: true,
        resourceLimits: {
          maxOldGenerationSizeMb: 8,
          maxYoungGenerationSizeMb: 1,
          codeRangeSizeMb: 2,
        },
        workerData: { module: require.resolve('better-sqlite3'), file, intervalMs },
      });
      worker.unref();
      worker.on('error', () => this.fallBack());
      worker.on('exit', () => this.fallBack());
      this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
      this.worker = worker;
    } catch {
      this.fallBack();
    }
  }

  /** True while the worker checkpoints (false: the writing connection does, as by default). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Stops the worker; the last connection to close checkpoints what is left. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    await exited;
  }

  private fallBack(): void {
    const wasRunning = this.worker !== null;
    this.worker = null;
    if (wasRunning && this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  }
}
