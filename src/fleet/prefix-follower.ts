import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import { revisionOf } from './revision';

/** One key under the followed prefix, as etcd holds it; `key` is relative to the prefix. */
export interface FollowedKey {
  key: string;
  value: string;
  modRevision: number;
  lease: string;
}

export type KeyEvent =
  { type: 'put'; entry: FollowedKey } | { type: 'delete'; key: string; modRevision: number };

/** Where a follower delivers what it reads. */
export interface FollowerSink {
  /** Everything under the prefix as of `revision`: at start, and whenever the follower lost its place. */
  snapshot(entries: FollowedKey[], revision: number): void;
  /** The events of one revision — one transaction — whole and in order. */
  events(revision: number, events: KeyEvent[]): void;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/**
 * Follows every key under a prefix: reads it at revision R, watches from R+1, and keeps the
 * revision to resume from itself, from the events it delivered (the client library resumes from
 * the revision in a response's header, which can skip events). A broken watch is made again from
 * that revision; a compaction, a watch error or a revision that went backwards (etcd restored
 * from a backup) make it read everything again and deliver a new snapshot.
 */
export class PrefixFollower {
  private revision = 0;
  private watcher: Watcher | null = null;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Bumped by each new watch, so a late event of an old watcher is ignored. */
  private generation = 0;
  /**
   * The read under way: one at a time, so two snapshots never arrive out of order and take memory
   * back to an older revision.
   */
  private reading: Promise<void> | null = null;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly sink: FollowerSink,
    private readonly onTrouble: (message: string) => void = () => {},
  ) {}

  /** Reads the prefix once and starts watching; rejects when etcd does not answer. */
  start(): Promise<void> {
    return this.reload();
  }

  /**
   * Reads everything now instead of waiting for the watch: for a reader that knows a revision was
   * committed and must see it while the watch reconnects (after a member went away, say). Resolves
   * once the snapshot is delivered; rejects when etcd does not answer (the follower then retries as
   * after any failed read). A read already under way is joined, not doubled.
   */
  resync(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the follower is stopped'));
    // A joined read's failure is its starter's to retry.
    if (this.reading) return this.reading;
    return this.reload().catch((error: Error) => {
      this.again('reload', `etcd read failed (${error.message})`);
      throw error;
    });
  }

  /** The revision of the last transaction delivered. */
  get at(): number {
    return this.revision;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.dropWatcher();
  }

  /** Stops following the current watch, reads everything, and watches on from what was read. */
  private reload(): Promise<void> {
    this.reading ??= (async () => {
      // The current watcher's late events are ignored from here: the read supersedes them.
      this.generation++;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      void this.dropWatcher();
      try {
        await this.read();
      } finally {
        this.reading = null;
      }
      this.watchFrom(this.revision + 1);
    })();
    return this.reading;
  }

  private async read(): Promise<void> {
    const response = await this.client.getAll().prefix(this.prefix).exec();
    const revision = revisionOf(response.header);
    this.revision = revision;
    this.sink.snapshot(
      response.kvs.map((kv) => this.entryOf(kv)),
      revision,
    );
  }

  private watchFrom(start: number): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.client
      .watch()
      .prefix(this.prefix)
      .startRevision(String(start))
      .create()
      .then((watcher) => {
        if (generation !== this.generation || this.stopped) {
          void discard(watcher);
          return;
        }
        this.watcher = watcher;
        watcher.on('connected', (response: IWatchResponse) => {
          this.retryMs = RETRY_MIN_MS;
          this.checkHeader(response, generation);
        });
        watcher.on('data', (response: IWatchResponse) => this.onData(response, generation));
        watcher.on('disconnected', (error: Error) => {
          if (generation !== this.generation) return;
          this.again('resume', `etcd watch disconnected (${error.message})`);
        });
        watcher.on('error', (error: Error) => {
          if (generation !== this.generation) return;
          // etcd ended this watch itself (a compaction) and etcd3 has dropped it. Cancelling it
          // again would ask etcd to cancel its id, and etcd3 throws on the answer — from a gRPC
          // callback, where it ends the process (seen in CI across a compaction).
          if (this.watcher === watcher) this.watcher = null;
          this.again('reload', `etcd watch ended (${error.message})`);
        });
      })
      .catch((error: Error) => {
        if (generation !== this.generation) return;
        this.again('resume', `etcd watch could not start (${error.message})`);
      });
  }

  /**
   * etcd3 rethrows a watcher listener's exception from setImmediate, where it would end the
   * process: a revision the sink cannot take is reported, and everything is read again instead.
   */
  private onData(response: IWatchResponse, generation: number): void {
    try {
      this.deliver(response, generation);
    } catch (error) {
      if (generation !== this.generation) return;
      this.again('reload', `a watched change failed to apply (${String(error)})`);
    }
  }

  private deliver(response: IWatchResponse, generation: number): void {
    if (generation !== this.generation) return;
    if (Number(response.compact_revision ?? 0) > 0)
      return this.again('reload', `etcd compacted past revision ${this.revision + 1}`);
    if (!this.checkHeader(response, generation)) return;
    // A response may hold several revisions; one revision is never split between responses.
    let group: KeyEvent[] = [];
    let groupRevision = 0;
    const flush = () => {
      if (group.length > 0 && groupRevision > this.revision) {
        this.revision = groupRevision;
        this.sink.events(groupRevision, group);
      }
      group = [];
    };
    for (const event of response.events) {
      const modRevision = Number(event.kv.mod_revision);
      if (modRevision !== groupRevision) {
        flush();
        groupRevision = modRevision;
      }
      group.push(
        String(event.type).toLowerCase() === 'delete'
          ? { type: 'delete', key: this.keyOf(event.kv), modRevision }
          : { type: 'put', entry: this.entryOf(event.kv) },
      );
    }
    flush();
  }

  /** False (and a reload) when etcd answers from an older revision than the one delivered. */
  private checkHeader(response: IWatchResponse, generation: number): boolean {
    if (generation !== this.generation) return false;
    const header = revisionOf(response.header);
    if (header > 0 && header < this.revision) {
      this.again('reload', `etcd is at revision ${header}, behind ${this.revision}`);
      return false;
    }
    return true;
  }

  /** Drops the watcher and, after a pause that grows while etcd stays away, resumes or reloads. */
  private again(how: 'resume' | 'reload', why: string): void {
    if (this.stopped) return;
    this.onTrouble(
      how === 'resume'
        ? `${why}: watching again from revision ${this.revision + 1}`
        : `${why}: reading ${this.prefix} again`,
    );
    this.generation++;
    void this.dropWatcher();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const wait = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (how === 'resume') return this.watchFrom(this.revision + 1);
      this.reload().catch((error: Error) =>
        this.again('reload', `etcd read failed (${error.message})`),
      );
    }, wait);
  }

  private async dropWatcher(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = null;
    if (watcher) await discard(watcher);
  }

  private keyOf(kv: IKeyValue): string {
    return kv.key.toString().slice(this.prefix.length);
  }

  private entryOf(kv: IKeyValue): FollowedKey {
    return {
      key: this.keyOf(kv),
      value: kv.value.toString(),
      modRevision: Number(kv.mod_revision),
      lease: String(kv.lease ?? '0'),
    };
  }
}

/**
 * Cancels a watcher no one follows any more — the current one, or one whose create() came back
 * after a newer watch started. A listener-less watcher would throw (and end the process) on an
 * 'error' emitted while it is cancelled, so it gets a quiet one first.
 */
async function discard(watcher: Watcher): Promise<void> {
  watcher.removeAllListeners();
  watcher.on('error', () => {});
  // etcd answers a cancel on the stream; a stream that is down answers nothing.
  await Promise.race([
    watcher.cancel().catch(() => {}),
    new Promise((resolve) => setTimeout(resolve, 1_000).unref()),
  ]);
}
