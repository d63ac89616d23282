import { InstanceRecord } from '../model/instance';
import { toUpstream, Upstream } from './balancers';

/** What the gateway needs of an instance. */
export type GatewayView = Pick<
  InstanceRecord,
  'id' | 'serviceType' | 'status' | 'url' | 'weight' | 'zone'
>;

interface ServiceUpstreams {
  byId: Map<string, Upstream>;
  /** What balancers get; dropped on a change and built again on first use. */
  list: readonly Upstream[] | null;
}

const NONE: readonly Upstream[] = Object.freeze([]);

/**
 * The UP instances of each service the gateway has been asked for, kept one instance at a time as
 * registry events arrive. A service is taken in when first asked for (the routing service asks as
 * a route to it arrives), from the registry as it is then, and followed for as long as the process
 * lives; one no route ever led to costs nothing, which at tens of thousands of registry-only
 * instances is an upstream and a map entry each that the full GC would mark. A change costs O(1),
 * an event that changes nothing the gateway uses (a passed health check) costs nothing, and the
 * list of a service is built once per change, when a request first needs it; until then balancers
 * see the same array, so what they derive from it (the ip_hash ring) is kept.
 */
export class UpInstances {
  private readonly byService = new Map<string, ServiceUpstreams>();

  /** @param instancesOf the registry's instances of a service now, whatever their status */
  constructor(private readonly instancesOf: (serviceType: string) => Iterable<GatewayView>) {}

  /** Takes in an instance as it now is: UP, or anything else (which takes it out). */
  put(instance: GatewayView): void {
    const service = this.byService.get(instance.serviceType);
    if (!service) return;
    if (instance.status !== 'UP') return this.remove(instance.serviceType, instance.id);
    const known = service.byId.get(instance.id);
    if (
      known &&
      known.url === instance.url &&
      known.weight === instance.weight &&
      known.zone === instance.zone
    )
      return;
    const { id, url, weight, zone } = instance;
    service.byId.set(id, toUpstream({ id, url, weight, zone }));
    service.list = null;
  }

  remove(serviceType: string, id: string): void {
    const service = this.byService.get(serviceType);
    if (service?.byId.delete(id)) service.list = null;
  }

  of(serviceType: string): readonly Upstream[] {
    let service = this.byService.get(serviceType);
    if (!service) {
      service = { byId: new Map(), list: null };
      this.byService.set(serviceType, service);
      for (const instance of this.instancesOf(serviceType)) this.put(instance);
    }
    return (service.list ??= service.byId.size === 0 ? NONE : [...service.byId.values()]);
  }
}
