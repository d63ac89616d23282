import type { ChangeReason } from '../../model/events';
import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';

/** Injection token of the store the settings chose. */
export const REGISTRY_STORE = 'REGISTRY_STORE';

export interface RegistrySnapshot {
  instances: InstanceRecord[];
  routes: RouteRecord[];
  /** The revision the snapshot was read at (0 for a new store): the change log's index. */
  index: number;
  /** Per service type, the index of the last change to its instances. */
  serviceIndexes: Record<string, number>;
  /** The revision of each key's last change (see store-keys.ts). */
  revisions: Record<string, number>;
  /** Why each instance last changed, where the store keeps it (etcd), for a reader that resets. */
  reasons?: Record<string, ChangeReason>;
}

/** An instance's change says why it happened: every node announces the same reason. */
export type StoreChange =
  | { op: 'putInstance'; instance: InstanceRecord; reason: ChangeReason }
  | { op: 'deleteInstance'; id: string; reason: ChangeReason }
  | { op: 'putRoute'; route: RouteRecord }
  | { op: 'deleteRoute'; id: string };

/**
 * What a commit requires of the store, compared in the same transaction as the write:
 * - `revision`: the key is still at the revision the decision was made on (0: it does not exist);
 * - `claim`: this node still holds the check claim of the instance (always true on one node).
 */
export type StoreGuard = { key: string; revision: number } | { claim: string };

/** One committed transaction, whole: what every node applies, its own writes included. */
export interface StoreBatch {
  revision: number;
  changes: readonly StoreChange[];
}

/** Where the store's change feed goes: each transaction in order, or a whole new state. */
export interface StoreFeed {
  batch(batch: StoreBatch): void;
  /**
   * The feed lost its place (a compaction, a broken watch, a store restored from a backup): here
   * is everything as of `snapshot.index`; the reader applies the difference.
   */
  reset(snapshot: RegistrySnapshot): void;
}

/** A guard did not hold: someone changed what the decision was made on. Decide again. */
export class StoreConflictError extends Error {
  constructor(readonly revision: number) {
    super(`the store changed meanwhile (now at revision ${revision})`);
  }
}

/** The store did not answer in time, or cannot take writes (no quorum). Nothing was written. */
export class StoreUnavailableError extends Error {}

/**
 * Persistence of the registry, and its change feed. A commit resolves with its revision once the
 * change is durable; the registry's memory is applied from the feed alone, a transaction at a
 * time, so one node and a fleet of them take the same path.
 */
export interface RegistryStore {
  /** Everything stored, read once at start. */
  load(): Promise<RegistrySnapshot>;
  /** Starts the feed after the loaded snapshot. */
  follow(feed: StoreFeed): void;
  /**
   * Applies the changes in one transaction if every guard holds: all or none. `services` are the
   * service types the changes touch (stores that keep per-service indexes need them). Rejects
   * with StoreConflictError or StoreUnavailableError.
   */
  commit(
    changes: readonly StoreChange[],
    guards: readonly StoreGuard[],
    services: readonly string[],
  ): Promise<number>;
  /**
   * Brings the feed to the store's latest revision now, for a writer whose commit the feed has not
   * delivered in time (etcd: a read of everything instead of waiting for a watch that reconnects).
   * Left out by stores whose feed delivers each commit before the commit resolves.
   */
  catchUp?(): Promise<void>;
  /** True while the store takes writes (readiness). */
  ping(): boolean;
  close(): Promise<void>;
}
