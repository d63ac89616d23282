import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';

/** Injection token of the store the settings chose. */
export const REGISTRY_STORE = 'REGISTRY_STORE';

export interface RegistrySnapshot {
  instances: InstanceRecord[];
  routes: RouteRecord[];
  /** The registry index of the last committed change (0 for a new store). */
  index: number;
  /** Per service type, the index of the last change to its instances. */
  serviceIndexes: Record<string, number>;
}

/** What a commit moves the change log to: the new registry index and the service types it touched. */
export interface IndexMark {
  index: number;
  services: readonly string[];
}

export type StoreChange =
  | { op: 'putInstance'; instance: InstanceRecord }
  | { op: 'deleteInstance'; id: string }
  | { op: 'putRoute'; route: RouteRecord }
  | { op: 'deleteRoute'; id: string };

/**
 * Persistence of the registry. Synchronous on purpose: the registry validates, commits and then
 * updates its in-memory view with no await in between, so no other request sees half a change.
 */
export interface RegistryStore {
  /** Everything stored, read once at start. */
  load(): RegistrySnapshot;
  /** Applies the changes and the index they bring in one transaction: all or none. */
  commit(changes: readonly StoreChange[], mark: IndexMark): void;
  /** True while the store answers (readiness). */
  ping(): boolean;
  close(): void;
}
