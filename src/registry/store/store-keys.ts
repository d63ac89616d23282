import { StoreChange, StoreGuard } from './registry-store';

/**
 * The store's keys, one rule for every store: an instance and a route each have one, and the route
 * set has one of its own that every change of a route moves, so a decision about overlapping
 * routes can be guarded as a whole. Pure.
 */
export const ROUTE_SET_KEY = 'route-set';

export function instanceKey(id: string): string {
  return `instances/${id}`;
}

export function routeStoreKey(id: string): string {
  return `routes/${id}`;
}

/** Every key a transaction of these changes moves to its revision. */
export function keysMovedBy(changes: readonly StoreChange[]): string[] {
  const keys: string[] = [];
  let routes = false;
  for (const change of changes) {
    switch (change.op) {
      case 'putInstance':
        keys.push(instanceKey(change.instance.id));
        break;
      case 'deleteInstance':
        keys.push(instanceKey(change.id));
        break;
      case 'putRoute':
        keys.push(routeStoreKey(change.route.id));
        routes = true;
        break;
      case 'deleteRoute':
        keys.push(routeStoreKey(change.id));
        routes = true;
        break;
    }
  }
  if (routes) keys.push(ROUTE_SET_KEY);
  return keys;
}

/** Where a transaction at `revision` leaves each key it moves: deleted keys at 0, the rest at it. */
export function movesOf(changes: readonly StoreChange[], revision: number): Map<string, number> {
  const moves = new Map<string, number>();
  for (const key of keysMovedBy(changes)) moves.set(key, revision);
  for (const change of changes) {
    if (change.op === 'deleteInstance') moves.set(instanceKey(change.id), 0);
    else if (change.op === 'deleteRoute') moves.set(routeStoreKey(change.id), 0);
  }
  return moves;
}

/** The revision of each key's last change; 0 for a key that does not exist. */
export class KeyRevisions {
  private readonly revisions = new Map<string, number>();

  constructor(initial: Record<string, number> = {}) {
    for (const [key, revision] of Object.entries(initial)) this.revisions.set(key, revision);
  }

  of(key: string): number {
    return this.revisions.get(key) ?? 0;
  }

  /** A committed transaction: deleted keys go back to 0, the rest move to its revision. */
  record(changes: readonly StoreChange[], revision: number): void {
    for (const [key, moved] of movesOf(changes, revision)) {
      if (moved === 0) this.revisions.delete(key);
      else this.revisions.set(key, moved);
    }
  }

  /**
   * True when every revision guard holds (claims are the fleet's, and hold on one node); `ahead`
   * holds moves not recorded yet that the guards must see (earlier commits of the same group).
   */
  allHold(guards: readonly StoreGuard[], ahead?: ReadonlyMap<string, number>): boolean {
    return guards.every(
      (guard) =>
        !('key' in guard) || (ahead?.get(guard.key) ?? this.of(guard.key)) === guard.revision,
    );
  }

  toRecord(): Record<string, number> {
    return Object.fromEntries(this.revisions);
  }
}
