import { RegistrySnapshot, StoreBatch, StoreChange, StoreFeed, StoreGuard } from './registry-store';
import { StoreConflictError } from './registry-store';
import { KeyRevisions, movesOf } from './store-keys';

/** One commit asked of a single-node store: its changes and what they were decided on. */
export interface CommitRequest {
  changes: readonly StoreChange[];
  guards: readonly StoreGuard[];
}

/**
 * What the two single-node stores (sqlite, memory) share: revisions are the store's own counter,
 * guards are compared with the revisions this process wrote, and the feed is the commit itself —
 * each transaction goes to the reader before its commit resolves, so a request that wrote reads
 * its own write at once, as on a fleet once its node has applied the revision.
 */
export class LocalCommit {
  private revisions = new KeyRevisions();
  private feed: StoreFeed | null = null;
  private revision = 0;

  /** The snapshot just read; every key in it counts as changed at its index. */
  loaded(snapshot: Omit<RegistrySnapshot, 'revisions'>): RegistrySnapshot {
    this.revision = snapshot.index;
    this.revisions = new KeyRevisions();
    this.revisions.record(
      [
        ...snapshot.instances.map((instance) => ({
          op: 'putInstance' as const,
          instance,
          reason: 'registration' as const,
        })),
        ...snapshot.routes.map((route) => ({ op: 'putRoute' as const, route })),
      ],
      snapshot.index,
    );
    return { ...snapshot, revisions: this.revisions.toRecord() };
  }

  follow(feed: StoreFeed): void {
    this.feed = feed;
  }

  /** The revision this commit will get, or a conflict when a guard does not hold. */
  prepare(guards: readonly StoreGuard[]): number {
    const [revision] = this.prepareGroup([{ changes: [], guards }]);
    if (revision === null) throw this.conflict();
    return revision;
  }

  /**
   * Revisions for commits written in one transaction, in order: each one's guards are held against
   * the commits before it in the group too, so two decisions made on the same state cannot both
   * pass. Null for a commit whose guard does not hold; nothing is recorded until `committed`.
   */
  prepareGroup(requests: readonly CommitRequest[]): (number | null)[] {
    const ahead = new Map<string, number>();
    let next = this.revision;
    return requests.map(({ changes, guards }) => {
      if (!this.revisions.allHold(guards, ahead)) return null;
      next += 1;
      for (const [key, moved] of movesOf(changes, next)) ahead.set(key, moved);
      return next;
    });
  }

  /** What a commit whose guard did not hold is told: decide again once this revision is applied. */
  conflict(): StoreConflictError {
    return new StoreConflictError(this.revision);
  }

  /** The transaction is durable: record it and hand it to the reader. */
  committed(changes: readonly StoreChange[], revision: number): number {
    this.revision = revision;
    this.revisions.record(changes, revision);
    const batch: StoreBatch = { revision, changes };
    this.feed?.batch(batch);
    return revision;
  }
}
