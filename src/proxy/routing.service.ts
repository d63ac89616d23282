import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import { FixedWindowRateLimiter } from '../auth/rate-limiter';
import { serverConfig } from '../config/config.namespaces';
import { InstanceEvent, InstanceUpdatedEvent, REGISTRY_EVENTS, RouteEvent } from '../model/events';
import { RegistryService } from '../registry/registry.service';
import { RouteRecord } from '../model/route';
import { Balancer, createBalancer, toUpstream, Upstream } from './balancers';
import { UpInstances } from './up-instances';
import { CircuitBreakers } from './circuit-breaker';
import { RouteMatch, RouteTable } from './route-table';

const NO_UPSTREAMS: readonly Upstream[] = Object.freeze([]);

/** What a route needs at request time, built once per route version. */
export interface RouteRuntime {
  balancer: Balancer;
  limiter: FixedWindowRateLimiter | null;
  perIp: boolean;
  /** For a route to one backend URL: that backend, always the one candidate. */
  fixedBackend: readonly [Upstream] | null;
  breakers: CircuitBreakers | null;
}

/**
 * The gateway's view of the registry: the compiled route table and the UP instances of each
 * service, both updated the moment the registry announces a change — no polling, so a route or an
 * instance that goes is out of the very next request.
 */
@Injectable()
export class RoutingService implements OnModuleInit {
  private table = new RouteTable([]);
  private readonly up = new UpInstances();
  private readonly runtimes = new Map<string, { route: RouteRecord; runtime: RouteRuntime }>();

  constructor(
    private readonly registry: RegistryService,
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
  ) {}

  onModuleInit(): void {
    this.table = new RouteTable(this.registry.allRoutes());
    for (const instance of this.registry.allInstances()) this.up.put(instance);
  }

  match(host: string, path: string, method: string): RouteMatch | null {
    return this.table.match(host, path, method);
  }

  /** UP instances of the route's service, or its one backend. */
  candidates(route: RouteRecord, runtime: RouteRuntime): readonly Upstream[] {
    if (runtime.fixedBackend) return runtime.fixedBackend;
    return 'service' in route.target ? this.up.of(route.target.service) : NO_UPSTREAMS;
  }

  runtimeOf(route: RouteRecord): RouteRuntime {
    const known = this.runtimes.get(route.id);
    if (known && known.route === route) return known.runtime;
    const limit = route.options.rate_limit;
    const breaker = route.options.circuit_breaker;
    const runtime: RouteRuntime = {
      balancer: createBalancer(route.options.load_balancer, this.server.zone),
      limiter: limit?.enabled ? new FixedWindowRateLimiter(limit.requests_per_min, 60_000) : null,
      perIp: limit?.per_ip ?? true,
      breakers: breaker?.enabled
        ? new CircuitBreakers(breaker.failure_threshold, breaker.timeout)
        : null,
      fixedBackend:
        'backend' in route.target
          ? [toUpstream({ id: route.id, url: route.target.backend, weight: 1, zone: null })]
          : null,
    };
    this.runtimes.set(route.id, { route, runtime });
    return runtime;
  }

  @OnEvent(REGISTRY_EVENTS.routeAdded)
  onRouteAdded({ route }: RouteEvent): void {
    this.table.add(route);
  }

  @OnEvent(REGISTRY_EVENTS.routeRemoved)
  onRouteRemoved({ route }: RouteEvent): void {
    this.table.remove(route.id);
    this.runtimes.delete(route.id);
  }

  @OnEvent(REGISTRY_EVENTS.instanceRegistered)
  onInstanceRegistered({ instance }: InstanceEvent): void {
    this.up.put(instance);
  }

  @OnEvent(REGISTRY_EVENTS.instanceRemoved)
  onInstanceRemoved({ instance }: InstanceEvent): void {
    this.up.remove(instance.serviceType, instance.id);
  }

  @OnEvent(REGISTRY_EVENTS.instanceUpdated)
  onInstanceUpdated({ instance, previous }: InstanceUpdatedEvent): void {
    if (previous.serviceType !== instance.serviceType)
      this.up.remove(previous.serviceType, previous.id);
    this.up.put(instance);
  }
}
