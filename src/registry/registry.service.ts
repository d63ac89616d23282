import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { InstanceCredentialsVerifier } from '../auth/auth.constants';
import { generateSecret, hashSecret, secretMatchesHash } from '../auth/keys';
import { AppError } from '../common/errors/app-error';
import { proxyConfig } from '../config/config.namespaces';
import { InstanceRecord, InstanceStatus } from './instance.model';
import { DiscoveryCache } from './discovery-cache';
import { InstanceFilter, matchesFilter } from './instance-filter';
import { toInstanceView } from './instance-response';
import { REGISTRY_EVENTS } from './registry.events';
import { RegistryState } from './registry-state';
import { AdmissionContext, admitRoute } from './routes/route-admission';
import { planInstanceRoutes, releaseRoute } from './routes/route-ownership';
import { routesOverlap } from './routes/route-pattern';
import { routeKey, RouteRecord, RouteSpec } from './routes/route.model';
import { REGISTRY_STORE, RegistryStore, StoreChange } from './store/registry-store';

export type InstanceInput = Pick<
  InstanceRecord,
  | 'serviceType'
  | 'host'
  | 'port'
  | 'url'
  | 'healthCheck'
  | 'metadata'
  | 'tags'
  | 'version'
  | 'zone'
  | 'weight'
  | 'origin'
>;

export interface Registration {
  instance: InstanceRecord;
  /** Shown once, here; only its hash is kept. */
  token: string;
  routes: RouteRecord[];
}

export interface InstancePatch {
  status?: Extract<InstanceStatus, 'UP' | 'MAINTENANCE'>;
  metadata?: Record<string, string>;
  weight?: number;
}

/** A hash no token matches, compared against for unknown ids so they cost the same as known ones. */
const NO_SUCH_TOKEN = hashSecret(generateSecret());

/**
 * The registry: one model of instances and routes that the native API, both compatibility APIs, the
 * health monitor and the gateway share. Every change is validated, committed to the store in one
 * transaction, applied to memory, then announced as an event.
 */
@Injectable()
export class RegistryService
  implements OnModuleInit, OnApplicationShutdown, InstanceCredentialsVerifier
{
  private readonly logger = new Logger(RegistryService.name);
  private readonly state = new RegistryState();
  private readonly discovery = new DiscoveryCache();
  /**
   * The config file's routes as records, built once: the gateway keeps per-route state (rate-limit
   * windows, circuit breakers) by record, so a fresh copy per call would reset it on every change.
   */
  private readonly configRouteRecords: readonly RouteRecord[];

  constructor(
    @Inject(REGISTRY_STORE) private readonly store: RegistryStore,
    @Inject(proxyConfig.KEY) private readonly proxy: ConfigType<typeof proxyConfig>,
    private readonly events: EventEmitter2,
  ) {
    const startedAt = new Date().toISOString();
    this.configRouteRecords = proxy.routes.map((spec, index) => ({
      ...spec,
      id: `config-${index}`,
      origin: 'config' as const,
      owners: [],
      registeredAt: startedAt,
    }));
  }

  onModuleInit(): void {
    const snapshot = this.store.load();
    this.state.apply([
      ...snapshot.instances.map((instance) => ({ op: 'putInstance' as const, instance })),
      ...snapshot.routes.map((route) => ({ op: 'putRoute' as const, route })),
    ]);
    for (const route of snapshot.routes) {
      if (this.proxy.routes.some((configRoute) => routesOverlap(route, configRoute))) {
        this.logger.warn(
          `stored route ${routeKey(route)} overlaps a configured route; the configured one wins`,
        );
      }
    }
    this.logger.log(
      `loaded ${snapshot.instances.length} instances and ${snapshot.routes.length} routes`,
    );
  }

  /** Runs after both listeners have closed, so no request is left that could write. */
  onApplicationShutdown(): void {
    this.store.close();
  }

  verify(instanceId: string, token: string): boolean {
    const hash = this.state.instances.get(instanceId)?.tokenHash ?? NO_SUCH_TOKEN;
    return secretMatchesHash(token, hash) && this.state.instances.has(instanceId);
  }

  /**
   * Registers an instance with its routes. The same service at the same URL registering again (a
   * restart), or an /internal/register-service client re-registering its service, replaces the
   * earlier record under the same id with a fresh token.
   */
  register(input: InstanceInput, routeSpecs: readonly RouteSpec[]): Registration {
    const now = new Date().toISOString();
    const previous = this.state.instanceLike(input);
    const id = previous?.id ?? randomUUID();
    const token = generateSecret();
    const instance: InstanceRecord = {
      ...input,
      id,
      status:
        input.healthCheck.type === 'none'
          ? 'UP'
          : previous?.status === 'MAINTENANCE'
            ? 'MAINTENANCE'
            : 'UNKNOWN',
      registeredAt: now,
      lastCheckAt: null,
      lastSuccessAt: previous?.lastSuccessAt ?? null,
      lastHeartbeatAt: null,
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      responseTimeMs: null,
      lastError: null,
      checksStopped: false,
      downSince: null,
      tokenHash: hashSecret(token),
    };
    const routeChanges = planInstanceRoutes(this.state, id, routeSpecs, this.admission(), now);
    this.commit([{ op: 'putInstance', instance }, ...routeChanges]);
    this.events.emit(
      previous ? REGISTRY_EVENTS.instanceUpdated : REGISTRY_EVENTS.instanceRegistered,
      previous ? { instance, previous } : { instance },
    );
    return { instance, token, routes: this.state.routesOwnedBy(id) };
  }

  removeInstance(id: string): InstanceRecord {
    const instance = this.requireInstance(id);
    const routeChanges = this.state.routesOwnedBy(id).flatMap((route) => releaseRoute(route, id));
    this.commit([{ op: 'deleteInstance', id }, ...routeChanges]);
    this.events.emit(REGISTRY_EVENTS.instanceRemoved, { instance });
    return instance;
  }

  /** Renews a ttl check and restarts checks that had stopped. */
  heartbeat(id: string): InstanceRecord {
    const previous = this.requireInstance(id);
    return this.updateInstance(previous, {
      lastHeartbeatAt: new Date().toISOString(),
      checksStopped: false,
    });
  }

  patchInstance(id: string, patch: InstancePatch): InstanceRecord {
    const previous = this.requireInstance(id);
    const changes: Partial<InstanceRecord> = {};
    if (patch.metadata !== undefined) changes.metadata = patch.metadata;
    if (patch.weight !== undefined) changes.weight = patch.weight;
    if (patch.status === 'MAINTENANCE') changes.status = 'MAINTENANCE';
    // Leaving maintenance hands the instance back to the checks: UNKNOWN until one passes,
    // unless it has no check at all.
    if (patch.status === 'UP' && previous.status === 'MAINTENANCE') {
      changes.status = previous.healthCheck.type === 'none' ? 'UP' : 'UNKNOWN';
      changes.checksStopped = false;
      changes.consecutiveFailures = 0;
    } else if (patch.status === 'UP' && previous.checksStopped) {
      // An operator's "UP" on an instance whose checks stopped restarts them; the checks decide.
      changes.checksStopped = false;
    }
    return this.updateInstance(previous, changes);
  }

  /** Applies a change to one instance (the health monitor's entry point too). */
  updateInstance(previous: InstanceRecord, changes: Partial<InstanceRecord>): InstanceRecord {
    const instance: InstanceRecord = {
      ...previous,
      ...changes,
      id: previous.id,
      tokenHash: previous.tokenHash,
    };
    this.commit([{ op: 'putInstance', instance }]);
    this.events.emit(REGISTRY_EVENTS.instanceUpdated, { instance, previous });
    return instance;
  }

  /**
   * Applies a health result. Check bookkeeping (last check, response time, counters) stays in memory;
   * a change of status or of checksStopped (`persist`) is committed and announced like any change.
   * Answers null when the instance went away while it was being checked.
   */
  recordHealth(
    id: string,
    changes: Partial<InstanceRecord>,
    persist: boolean,
  ): InstanceRecord | null {
    const previous = this.state.instances.get(id);
    if (!previous) return null;
    if (persist) return this.updateInstance(previous, changes);
    const instance: InstanceRecord = { ...previous, ...changes };
    this.discovery.touch(instance.serviceType);
    this.state.apply([{ op: 'putInstance', instance }]);
    return instance;
  }

  /** `POST /register`: a route to one backend URL. */
  addBackendRoute(spec: RouteSpec): RouteRecord {
    if (admitRoute(spec, this.admission())) {
      throw new AppError('ROUTE_EXISTS', `${spec.host ?? '*'}${spec.path} is already registered`);
    }
    const route: RouteRecord = {
      ...spec,
      id: randomUUID(),
      origin: 'register',
      owners: [],
      registeredAt: new Date().toISOString(),
    };
    this.commit([{ op: 'putRoute', route }]);
    return route;
  }

  /** `POST /deregister`: only routes that `/register` made can go this way. */
  removeBackendRoute(host: string | null, path: string): RouteRecord {
    const route = this.state.routesByKey.get(routeKey({ host, path, methods: null }));
    if (!route || route.origin !== 'register') {
      throw new AppError('ROUTE_NOT_FOUND', `no route registered for ${host ?? '*'}${path}`);
    }
    this.commit([{ op: 'deleteRoute', id: route.id }]);
    return route;
  }

  getInstance(id: string): InstanceRecord {
    return this.requireInstance(id);
  }

  /** The discovery answer `{serviceType, instances}` as JSON, from the cache when nothing changed. */
  discover(serviceType: string, filter: InstanceFilter): string {
    const variant = JSON.stringify([filter.status, filter.tag, filter.zone, filter.version]);
    return this.discovery.get(serviceType, variant, () =>
      JSON.stringify({
        serviceType,
        instances: this.state
          .instancesOf(serviceType)
          .filter((instance) => matchesFilter(instance, filter))
          .map(toInstanceView),
      }),
    );
  }

  /** One instance, or undefined: for callers to whom a missing instance is no error. */
  instancesById(id: string): InstanceRecord | undefined {
    return this.state.instances.get(id);
  }

  instancesOf(serviceType: string): InstanceRecord[] {
    return this.state.instancesOf(serviceType);
  }

  allInstances(): IterableIterator<InstanceRecord> {
    return this.state.instances.values();
  }

  serviceTypes(): string[] {
    return [...this.state.byType.keys()].sort();
  }

  /** Every route: the config file's (never stored, never removable) first, then registered ones. */
  allRoutes(): RouteRecord[] {
    return [...this.configRouteRecords, ...this.state.routes.values()];
  }

  routeCount(): number {
    return this.configRouteRecords.length + this.state.routes.size;
  }

  ping(): boolean {
    return this.store.ping();
  }

  /** Drops cached discovery answers of every service type the changes touch (before and after). */
  private invalidateDiscovery(changes: readonly StoreChange[]): void {
    for (const change of changes) {
      if (change.op !== 'putInstance' && change.op !== 'deleteInstance') continue;
      const id = change.op === 'putInstance' ? change.instance.id : change.id;
      const before = this.state.instances.get(id);
      if (before) this.discovery.invalidate(before.serviceType);
      if (change.op === 'putInstance') this.discovery.invalidate(change.instance.serviceType);
    }
  }

  private requireInstance(id: string): InstanceRecord {
    const instance = this.state.instances.get(id);
    if (!instance)
      throw new AppError('INSTANCE_NOT_FOUND', `no instance with id ${id.slice(0, 64)}`);
    return instance;
  }

  private admission(): AdmissionContext {
    return {
      configRoutes: this.proxy.routes,
      routesByKey: this.state.routesByKey,
      servicePermissions: this.proxy.servicePermissions,
    };
  }

  /**
   * Store first: if the transaction fails, memory is untouched and the request fails whole. Route
   * events go out here, once applied; `route.added` also carries a changed route (new owners or options).
   */
  private commit(changes: StoreChange[]): void {
    const removed = new Map<StoreChange, RouteRecord | undefined>();
    for (const c of changes)
      if (c.op === 'deleteRoute') removed.set(c, this.state.routes.get(c.id));
    this.store.commit(changes);
    this.invalidateDiscovery(changes);
    this.state.apply(changes);
    // In the changes' own order, so a listener that follows along (the route table) ends where the
    // registry does.
    for (const change of changes) {
      if (change.op === 'putRoute') {
        this.events.emit(REGISTRY_EVENTS.routeAdded, { route: change.route });
      } else if (change.op === 'deleteRoute') {
        const route = removed.get(change);
        if (route) this.events.emit(REGISTRY_EVENTS.routeRemoved, { route });
      }
    }
  }
}
