import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import { proxyConfig, serverConfig } from '../config/config.namespaces';
import { InstanceEvent, InstanceUpdatedEvent, REGISTRY_EVENTS, RouteEvent } from '../model/events';
import { RouteRecord } from '../model/route';
import { RegistryService } from '../registry/registry.service';
import { Telemetry } from '../telemetry/telemetry';
import { Upstream } from './balancers';
import { RouteMatch, RouteTable } from './route-table';
import { RouteMeter } from './route-meter';
import { buildRouteRuntime, RouteRuntime } from './route-runtime';
import { UpInstances } from './up-instances';

const NO_UPSTREAMS: readonly Upstream[] = Object.freeze([]);

/**
 * The gateway's view of the registry: the compiled route table, each route with its runtime built
 * as it arrives, and the UP instances of each service, both updated the moment the registry
 * announces a change — no polling, so a route or an instance that goes is out of the very next
 * request.
 */
@Injectable()
export class RoutingService implements OnModuleInit {
  private table = new RouteTable<RouteRuntime>();
  private readonly up = new UpInstances((serviceType) => this.registry.instancesOf(serviceType));
  private readonly runtimeDefaults: { zone: string | null; timeoutMs: number };
  /** By route id: a replaced route keeps counting in its series; a removed one retires them. */
  private readonly meters = new Map<string, RouteMeter>();
  /** The series of requests no route matched. */
  readonly unrouted: RouteMeter;

  constructor(
    private readonly registry: RegistryService,
    private readonly telemetry: Telemetry,
    @Inject(serverConfig.KEY) server: ConfigType<typeof serverConfig>,
    @Inject(proxyConfig.KEY) proxy: ConfigType<typeof proxyConfig>,
  ) {
    this.runtimeDefaults = { zone: server.zone, timeoutMs: proxy.timeoutMs };
    this.unrouted = new RouteMeter(telemetry, '');
  }

  onModuleInit(): void {
    this.table = new RouteTable(this.registry.allRoutes(), (route) => this.runtimeFor(route));
  }

  /** Bound once, so admission can call it without a closure per request. */
  readonly match = (host: string, path: string, method: string): RouteMatch<RouteRuntime> | null =>
    this.table.match(host, path, method);

  /** UP instances of the route's service, or its one backend. */
  candidates(runtime: RouteRuntime): readonly Upstream[] {
    if (runtime.fixedBackend) return runtime.fixedBackend;
    return runtime.service !== null ? this.up.of(runtime.service) : NO_UPSTREAMS;
  }

  @OnEvent(REGISTRY_EVENTS.routeAdded)
  onRouteAdded({ route }: RouteEvent): void {
    this.table.add(route, this.runtimeFor(route));
  }

  @OnEvent(REGISTRY_EVENTS.routeRemoved)
  onRouteRemoved({ route }: RouteEvent): void {
    this.table.remove(route.id);
    this.meters.get(route.id)?.retire();
    this.meters.delete(route.id);
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

  private runtimeFor(route: RouteRecord): RouteRuntime {
    let meter = this.meters.get(route.id);
    if (meter === undefined) {
      meter = new RouteMeter(this.telemetry, route.id);
      this.meters.set(route.id, meter);
    }
    const runtime = buildRouteRuntime(route, this.runtimeDefaults, meter);
    // Its service's upstreams are built now, not by the first request that needs them.
    if (runtime.service !== null) this.up.of(runtime.service);
    return runtime;
  }
}
