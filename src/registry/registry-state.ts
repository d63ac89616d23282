import { hash } from 'node:crypto';
import { countByStatus, InstanceRecord, StatusCounts } from '../model/instance';
import { routeKey, RouteRecord } from '../model/route';
import { shareCommonParts } from '../model/shared-parts';
import { StoreChange } from './store/registry-store';

/** What a registration is matched on: the URL, the service alone (internal) or the Consul ID. */
export type InstanceIdentity = Pick<InstanceRecord, 'serviceType' | 'origin' | 'url'> & {
  id?: string;
};

/**
 * Joined rather than concatenated: a join is one flat string, where `+` or a template leaves a chain
 * of string objects that the byIdentity map would keep (and the full GC mark) for every instance.
 */
function identityOf(like: InstanceIdentity): string {
  switch (like.origin) {
    case 'internal':
      return ['internal', like.serviceType].join('\n');
    case 'consul':
      return ['consul', like.id ?? ''].join('\n');
    case 'service':
      return ['service', like.serviceType, like.url].join('\n');
  }
}

/**
 * The id a new instance gets: derived from what a registration is matched on, so two nodes that
 * register the same instance at once write the same key and the store lets exactly one of them
 * create it (the other decides again and replaces it, as a re-registration). Shaped as a UUID.
 */
export function instanceIdFor(like: InstanceIdentity): string {
  if (like.origin === 'consul' && like.id !== undefined) return like.id;
  const hex = hash('sha256', identityOf(like), 'hex');
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The registry held in memory: instances by id and by service type, routes by id and by key.
 * Reads (discovery, the gateway) never touch the store. Changes arrive as the same StoreChange list
 * that was just committed, so memory and store cannot drift apart.
 */
export class RegistryState {
  readonly instances = new Map<string, InstanceRecord>();
  readonly byType = new Map<string, Map<string, InstanceRecord>>();
  readonly routes = new Map<string, RouteRecord>();
  readonly routesByKey = new Map<string, RouteRecord>();
  /** Instances by what a new registration is matched on, so re-registering costs no scan. */
  private readonly byIdentity = new Map<string, InstanceRecord>();
  /** Route ids by owning instance, so an instance's routes are found without a scan of them all. */
  private readonly routeIdsByOwner = new Map<string, Set<string>>();
  /** Instance ids by check id: Consul's check/pass names a check, not its instance. */
  private readonly instanceIdByCheck = new Map<string, string>();
  /**
   * The DOWN instances, for the sweep that deregisters long-DOWN ones: it runs every second, and a
   * walk over every instance held the event loop for milliseconds at tens of thousands of them.
   */
  private readonly downById = new Map<string, InstanceRecord>();

  apply(changes: readonly StoreChange[]): void {
    for (const change of changes) {
      switch (change.op) {
        case 'putInstance':
          this.putInstance(change.instance);
          break;
        case 'deleteInstance':
          this.deleteInstance(change.id);
          break;
        case 'putRoute':
          this.putRoute(change.route);
          break;
        case 'deleteRoute':
          this.deleteRoute(change.id);
          break;
      }
    }
  }

  serviceTypes(): string[] {
    return [...this.byType.keys()].sort();
  }

  /** Every service type, sorted, with how many of its instances are in each status. */
  statusCounts(): Map<string, StatusCounts> {
    return new Map(
      this.serviceTypes().map((type) => [type, countByStatus(this.byType.get(type)!.values())]),
    );
  }

  instancesOf(serviceType: string): InstanceRecord[] {
    return [...(this.byType.get(serviceType)?.values() ?? [])];
  }

  /**
   * The instance a registration replaces: same service type and origin, and for POST /service the
   * same URL (/internal/register-service keeps one instance per service).
   */
  instanceLike(like: InstanceIdentity): InstanceRecord | undefined {
    return this.byIdentity.get(identityOf(like));
  }

  /** The instance a check belongs to, by the check's id. */
  instanceWithCheck(checkId: string): InstanceRecord | undefined {
    const id = this.instanceIdByCheck.get(checkId);
    return id === undefined ? undefined : this.instances.get(id);
  }

  /** The instances whose status is DOWN now. */
  downInstances(): InstanceRecord[] {
    return [...this.downById.values()];
  }

  /** Routes an instance brought (it is among their owners). */
  routesOwnedBy(instanceId: string): RouteRecord[] {
    const ids = this.routeIdsByOwner.get(instanceId);
    return ids ? [...ids].map((id) => this.routes.get(id) as RouteRecord) : [];
  }

  private putInstance(instance: InstanceRecord): void {
    shareCommonParts(instance);
    const previous = this.instances.get(instance.id);
    if (previous && previous.serviceType !== instance.serviceType) {
      this.byType.get(previous.serviceType)?.delete(instance.id);
    }
    if (previous) this.forgetIdentity(previous);
    this.byIdentity.set(identityOf(instance), instance);
    for (const check of instance.checks) this.instanceIdByCheck.set(check.id, instance.id);
    this.instances.set(instance.id, instance);
    if (instance.status === 'DOWN') this.downById.set(instance.id, instance);
    else this.downById.delete(instance.id);
    let ofType = this.byType.get(instance.serviceType);
    if (!ofType) {
      ofType = new Map();
      this.byType.set(instance.serviceType, ofType);
    }
    ofType.set(instance.id, instance);
  }

  private deleteInstance(id: string): void {
    const instance = this.instances.get(id);
    if (!instance) return;
    this.instances.delete(id);
    this.downById.delete(id);
    this.forgetIdentity(instance);
    const ofType = this.byType.get(instance.serviceType);
    ofType?.delete(id);
    if (ofType?.size === 0) this.byType.delete(instance.serviceType);
  }

  private putRoute(route: RouteRecord): void {
    const previous = this.routes.get(route.id);
    if (previous) {
      this.routesByKey.delete(routeKey(previous));
      this.unindexOwners(previous);
    }
    this.routes.set(route.id, route);
    this.routesByKey.set(routeKey(route), route);
    for (const owner of route.owners) {
      let ids = this.routeIdsByOwner.get(owner);
      if (!ids) {
        ids = new Set();
        this.routeIdsByOwner.set(owner, ids);
      }
      ids.add(route.id);
    }
  }

  private deleteRoute(id: string): void {
    const route = this.routes.get(id);
    if (!route) return;
    this.routes.delete(id);
    this.unindexOwners(route);
    if (this.routesByKey.get(routeKey(route))?.id === id) this.routesByKey.delete(routeKey(route));
  }

  private forgetIdentity(instance: InstanceRecord): void {
    const key = identityOf(instance);
    if (this.byIdentity.get(key)?.id === instance.id) this.byIdentity.delete(key);
    for (const check of instance.checks) {
      if (this.instanceIdByCheck.get(check.id) === instance.id)
        this.instanceIdByCheck.delete(check.id);
    }
  }

  private unindexOwners(route: RouteRecord): void {
    for (const owner of route.owners) {
      const ids = this.routeIdsByOwner.get(owner);
      ids?.delete(route.id);
      if (ids?.size === 0) this.routeIdsByOwner.delete(owner);
    }
  }
}
