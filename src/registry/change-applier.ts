import type { EventEmitter2 } from '@nestjs/event-emitter';
import { ChangeReason, STATUS_REASONS, StatusChange, StatusReason } from '../model/events';
import { InstanceRecord } from '../model/instance';
import { RouteRecord } from '../model/route';
import { ChangeAnnouncer } from './change-announcer';
import { ChangeFeed } from './change-feed';
import { DiscoveryCache } from './discovery-cache';
import { RegistryState } from './registry-state';
import { RegistrySnapshot, StoreBatch, StoreChange, StoreFeed } from './store/registry-store';
import { instanceKey, KeyRevisions, routeStoreKey } from './store/store-keys';

const STATUS_REASON_SET: ReadonlySet<string> = new Set(STATUS_REASONS);

/**
 * The registry's memory, written by the store's change feed alone: each committed transaction,
 * this node's own and every other node's, is applied whole, then announced once — the change feed
 * (long-polls, watches), the journal (`/events`), and the events the gateway and the health
 * monitor follow. A request that wrote waits here until its revision is applied.
 */
export class ChangeApplier implements StoreFeed {
  readonly state = new RegistryState();
  readonly discovery = new DiscoveryCache();
  revisions = new KeyRevisions();
  feed = new ChangeFeed();
  announce!: ChangeAnnouncer;
  private applied = 0;
  private readonly waiters = new Set<{ revision: number; done: (applied: boolean) => void }>();

  constructor(private readonly events: EventEmitter2) {}

  /** The snapshot read at start: memory as it was, no announcement. */
  start(snapshot: RegistrySnapshot): void {
    this.feed = new ChangeFeed(snapshot.index, snapshot.serviceIndexes);
    this.announce = new ChangeAnnouncer(this.events, () => this.feed.index);
    this.revisions = new KeyRevisions(snapshot.revisions);
    this.state.apply(snapshotChanges(snapshot));
    this.applied = snapshot.index;
  }

  /** The revision of the last transaction applied here. */
  get revision(): number {
    return this.applied;
  }

  batch({ revision, changes }: StoreBatch): void {
    if (revision <= this.applied) return;
    const previous = new Map<StoreChange, InstanceRecord | RouteRecord | undefined>();
    for (const change of changes) previous.set(change, this.before(change));
    const services = this.touchedServices(changes);
    for (const service of services) this.discovery.invalidate(service);
    this.state.apply(changes);
    this.revisions.record(changes, revision);
    this.feed.publish(revision, services);
    this.applied = revision;
    // In the changes' own order, so a listener that follows along (the route table) ends where the
    // registry does.
    for (const change of changes) this.announceChange(change, previous.get(change));
    this.release();
  }

  /** The feed lost its place: apply the difference between memory and the store's state now. */
  reset(snapshot: RegistrySnapshot): void {
    const changes: StoreChange[] = [];
    const wanted = new Map(snapshot.instances.map((instance) => [instance.id, instance]));
    for (const id of this.state.instances.keys()) {
      if (!wanted.has(id)) changes.push({ op: 'deleteInstance', id, reason: 'deregistration' });
    }
    for (const instance of snapshot.instances) {
      if (
        this.revisions.of(instanceKey(instance.id)) === snapshot.revisions[instanceKey(instance.id)]
      )
        continue;
      const reason = snapshot.reasons?.[instance.id] ?? 'registration';
      changes.push({ op: 'putInstance', instance, reason });
    }
    const wantedRoutes = new Set(snapshot.routes.map((route) => route.id));
    for (const id of this.state.routes.keys()) {
      if (!wantedRoutes.has(id)) changes.push({ op: 'deleteRoute', id });
    }
    for (const route of snapshot.routes) {
      if (
        this.revisions.of(routeStoreKey(route.id)) !== snapshot.revisions[routeStoreKey(route.id)]
      )
        changes.push({ op: 'putRoute', route });
    }
    // The store is the truth, even one restored from a backup that stands at an older revision.
    if (changes.length > 0) {
      this.applied = Math.min(this.applied, snapshot.index - 1);
      this.batch({ revision: snapshot.index, changes });
    } else {
      this.applied = snapshot.index;
      this.release();
    }
    this.revisions = new KeyRevisions(snapshot.revisions);
  }

  /** Check bookkeeping kept in memory only: shows in discovery within a second. */
  keep(instance: InstanceRecord): void {
    this.discovery.touch(instance.serviceType);
    this.state.apply([{ op: 'putInstance', instance, reason: 'check' }]);
  }

  /** Resolves true once `revision` is applied here, false if `timeoutMs` runs out first. */
  untilApplied(revision: number, timeoutMs: number): Promise<boolean> {
    if (revision <= this.applied) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        revision,
        done: (applied: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(applied);
        },
      };
      const timer = setTimeout(() => waiter.done(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Every service type whose instances the changes touch, before and after. */
  touchedServices(changes: readonly StoreChange[]): Set<string> {
    const services = new Set<string>();
    for (const change of changes) {
      if (change.op !== 'putInstance' && change.op !== 'deleteInstance') continue;
      const id = change.op === 'putInstance' ? change.instance.id : change.id;
      const before = this.state.instances.get(id);
      if (before) services.add(before.serviceType);
      if (change.op === 'putInstance') services.add(change.instance.serviceType);
    }
    return services;
  }

  close(): void {
    this.feed.close();
    for (const waiter of [...this.waiters]) waiter.done(false);
  }

  private release(): void {
    for (const waiter of [...this.waiters]) if (waiter.revision <= this.applied) waiter.done(true);
  }

  private before(change: StoreChange): InstanceRecord | RouteRecord | undefined {
    switch (change.op) {
      case 'putInstance':
        return this.state.instances.get(change.instance.id);
      case 'deleteInstance':
        return this.state.instances.get(change.id);
      case 'putRoute':
        return undefined;
      case 'deleteRoute':
        return this.state.routes.get(change.id);
    }
  }

  private announceChange(change: StoreChange, before: InstanceRecord | RouteRecord | undefined) {
    switch (change.op) {
      case 'putInstance': {
        const previous = before as InstanceRecord | undefined;
        if (!previous) return this.announce.registered(change.instance);
        return this.announce.updated(
          previous,
          change.instance,
          change.reason,
          statusChangeOf(previous, change.instance, change.reason),
        );
      }
      case 'deleteInstance':
        if (before) this.announce.removed(before as InstanceRecord, change.reason);
        return;
      case 'putRoute':
        return this.announce.routeAdded(change.route);
      case 'deleteRoute':
        if (before) this.announce.routeRemoved(before as RouteRecord);
        return;
    }
  }
}

/** A status moved for a reason the contract names (a re-registration's reset is no status change). */
function statusChangeOf(
  before: InstanceRecord,
  after: InstanceRecord,
  reason: ChangeReason,
): StatusChange | null {
  if (before.status === after.status || !STATUS_REASON_SET.has(reason)) return null;
  return { from: before.status, to: after.status, reason: reason as StatusReason };
}

function snapshotChanges(snapshot: RegistrySnapshot): StoreChange[] {
  return [
    ...snapshot.instances.map((instance) => ({
      op: 'putInstance' as const,
      instance,
      reason: 'registration' as const,
    })),
    ...snapshot.routes.map((route) => ({ op: 'putRoute' as const, route })),
  ];
}
