import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';

/** Injection token of the store the settings chose. */
export const REGISTRY_STORE = 'REGISTRY_STORE';

export interface RegistrySnapshot {
  instances: InstanceRecord[];
  routes: RouteRecord[];
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
  /** Applies the changes in one transaction: all or none. */
  commit(changes: readonly StoreChange[]): void;
  /** True while the store answers (readiness). */
  ping(): boolean;
  close(): void;
}
