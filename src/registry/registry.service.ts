import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { InstanceCredentialsVerifier } from '../auth/auth.constants';
import { generateSecret, hashSecret, secretMatchesHash } from '../auth/keys';
import { AppError } from '../common/errors/app-error';
import { healthConfig, proxyConfig } from '../config/config.namespaces';
import { ChangeReason, GATEWAY_EVENTS, UpstreamFailedEvent } from '../model/events';
import { CheckReport, reasonOf } from '../model/health';
import { InstanceRecord, StatusCounts, toInstanceView } from '../model/instance';
import { routeKey, RouteRecord, RouteSpec } from '../model/route';
import { routesOverlap } from '../model/route-pattern';
import { ChangeAnnouncer } from './change-announcer';
import { ChangeFeed } from './change-feed';
import { HistoryEntry } from './instance-history';
import { Journal } from './journal';
import { DiscoveryCache } from './discovery-cache';
import { InstanceFilter, matchesFilter } from './instance-filter';
import {
  InstanceInput,
  InstancePatch,
  LifecycleEvent,
  nextStep,
  registeredRecord,
  shouldDeregister,
} from './lifecycle/instance-lifecycle';
import { RegistryState } from './registry-state';
import { AdmissionContext, admitRoute } from './routes/route-admission';
import { planInstanceRoutes, releaseRoute } from './routes/route-ownership';
import { REGISTRY_STORE, RegistryStore, StoreChange } from './store/registry-store';

export interface Registration {
  instance: InstanceRecord;
  /** Shown once, here; only its hash is kept. */
  token: string;
  routes: RouteRecord[];
}

/** A hash no token matches, compared against for unknown ids so they cost the same as known ones. */
const NO_SUCH_TOKEN = hashSecret(generateSecret());

/**
 * The registry, the one writer of instances and routes: the native API, both compatibility APIs,
 * the health monitor and the gateway report to it; the pure instance lifecycle decides the next
 * record; the registry commits it to the store in one transaction, applies it to memory, then
 * announces it once. Every answer shows the state after the change.
 */
@Injectable()
export class RegistryService
  implements
    OnModuleInit,
    BeforeApplicationShutdown,
    OnApplicationShutdown,
    InstanceCredentialsVerifier
{
  private readonly logger = new Logger(RegistryService.name);
  private readonly state = new RegistryState();
  private readonly discovery = new DiscoveryCache();
  /** The change log's index and per-service subscriptions; loaded from the store at start. */
  private feed = new ChangeFeed();
  /** Made with the feed at start, so that its journal begins at the stored index. */
  private announce!: ChangeAnnouncer;
  /**
   * The config file's routes as records, built once: the gateway keeps per-route state (rate-limit
   * windows, circuit breakers) by record, so a fresh copy per call would reset it on every change.
   */
  private readonly configRouteRecords: readonly RouteRecord[];

  constructor(
    @Inject(REGISTRY_STORE) private readonly store: RegistryStore,
    @Inject(proxyConfig.KEY) private readonly proxy: ConfigType<typeof proxyConfig>,
    @Inject(healthConfig.KEY) private readonly health: ConfigType<typeof healthConfig>,
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
    this.feed = new ChangeFeed(snapshot.index, snapshot.serviceIndexes);
    this.announce = new ChangeAnnouncer(this.events, () => this.feed.index);
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

  /** Before the listeners close: long-polls answer now instead of holding the shutdown. */
  beforeApplicationShutdown(): void {
    this.feed.close();
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
    const instance = registeredRecord(input, { id, tokenHash: hashSecret(token), now }, previous);
    const routeChanges = planInstanceRoutes(this.state, id, routeSpecs, this.admission(), now);
    this.commit([{ op: 'putInstance', instance }, ...routeChanges]);
    if (previous) this.announce.updated(previous, instance, 'registration', null);
    else this.announce.registered(instance);
    return { instance, token, routes: this.state.routesOwnedBy(id) };
  }

  /** Deregisters an instance; the routes it brought go with it unless another owner keeps them. */
  removeInstance(id: string, reason: ChangeReason = 'deregistration'): InstanceRecord {
    const instance = this.requireInstance(id);
    const routeChanges = this.state.routesOwnedBy(id).flatMap((route) => releaseRoute(route, id));
    this.commit([{ op: 'deleteInstance', id }, ...routeChanges]);
    this.announce.removed(instance, reason);
    return instance;
  }

  /** `PUT /service/:id/heartbeat`: renews a ttl check, restarts stopped checks. */
  heartbeat(id: string): InstanceRecord {
    return this.apply(this.requireInstance(id), { type: 'heartbeat' });
  }

  /** `PATCH /service/:id`: drain, undrain, metadata, weight. */
  patchInstance(id: string, patch: InstancePatch): InstanceRecord {
    return this.apply(this.requireInstance(id), { type: 'operator', patch });
  }

  /**
   * What the health monitor reports: a probe's outcome or a missed ttl (and, through
   * `upstreamFailed`, the gateway: failed live traffic). Answers the instance after the report, or
   * null when it is gone.
   */
  applyCheck(id: string, report: CheckReport): InstanceRecord | null {
    const before = this.state.instances.get(id);
    if (!before) return null;
    const after = this.apply(before, { type: 'report', report });
    if (after !== before) {
      const outcome =
        report.kind === 'probe'
          ? report.outcome
          : { ok: false, responseTimeMs: 0, error: after.lastError };
      this.announce.checked(after, outcome, reasonOf(report), after.status !== before.status);
    }
    return after;
  }

  /** The gateway's passive check: live traffic could not reach an instance. */
  @OnEvent(GATEWAY_EVENTS.upstreamFailed)
  onUpstreamFailed({ instanceId, error }: UpstreamFailedEvent): void {
    this.applyCheck(instanceId, { kind: 'traffic', error });
  }

  /** Removes every instance DOWN for DEREGISTER_AFTER or longer; answers how many went. */
  deregisterLongDown(nowMs = Date.now()): number {
    let removed = 0;
    for (const instance of [...this.state.instances.values()]) {
      if (!shouldDeregister(instance, this.health.deregisterAfterMs, nowMs)) continue;
      this.removeInstance(instance.id, 'deregister_after');
      this.announce.deregisteredAfterDown(instance);
      removed++;
    }
    return removed;
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

  /** The last changes as `/events` sends them, with their index. */
  get journal(): Journal {
    return this.announce.journal;
  }

  /** `GET /service/:id/history`: the instance's last status changes and failed checks, newest first. */
  historyOf(id: string): readonly HistoryEntry[] {
    return this.announce.history.of(this.requireInstance(id).id);
  }

  /** The registry's change log: its index, each service's last change, subscriptions. */
  get changes(): ChangeFeed {
    return this.feed;
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
    return this.state.serviceTypes();
  }

  /** Every service type with how many of its instances are in each status. */
  statusCounts(): Map<string, StatusCounts> {
    return this.state.statusCounts();
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

  /** Every service type whose instances the changes touch, before and after. */
  private touchedServices(changes: readonly StoreChange[]): Set<string> {
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

  /**
   * One lifecycle step, applied once: committed and announced when durable, else kept in memory
   * (check bookkeeping, which shows in discovery within a second).
   */
  private apply(before: InstanceRecord, event: LifecycleEvent): InstanceRecord {
    const step = nextStep(before, event, this.health, new Date().toISOString());
    const after = step.record;
    if (after === before) return before;
    if (!step.durable) {
      this.discovery.touch(before.serviceType);
      this.state.apply([{ op: 'putInstance', instance: after }]);
      return after;
    }
    this.commit([{ op: 'putInstance', instance: after }]);
    const reason =
      step.statusChange?.reason ?? (event.type === 'report' ? reasonOf(event.report) : event.type);
    this.announce.updated(before, after, reason, step.statusChange);
    if (step.stopped) this.announce.checksStopped(after);
    return after;
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
   * Store first, with the next index: if the transaction fails, memory is untouched and the request
   * fails whole. Then memory, the change feed (watchers of the touched services), and the route
   * events; `route.added` also carries a changed route (new owners or options).
   */
  private commit(changes: StoreChange[]): void {
    const removed = new Map<StoreChange, RouteRecord | undefined>();
    for (const c of changes)
      if (c.op === 'deleteRoute') removed.set(c, this.state.routes.get(c.id));
    const services = this.touchedServices(changes);
    const index = this.feed.next;
    this.store.commit(changes, { index, services: [...services] });
    for (const service of services) this.discovery.invalidate(service);
    this.state.apply(changes);
    this.feed.publish(index, services);
    // In the changes' own order, so a listener that follows along (the route table) ends where the
    // registry does.
    for (const change of changes) {
      if (change.op === 'putRoute') {
        this.announce.routeAdded(change.route);
      } else if (change.op === 'deleteRoute') {
        const route = removed.get(change);
        if (route) this.announce.routeRemoved(route);
      }
    }
  }
}
