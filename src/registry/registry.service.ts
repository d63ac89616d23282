import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { InstanceCredentialsVerifier } from '../auth/auth.constants';
import { generateSecret, hashSecret, secretMatchesHash } from '../auth/keys';
import { AppError } from '../common/errors/app-error';
import { Serial } from '../common/serial';
import { healthConfig, proxyConfig } from '../config/config.namespaces';
import { ChangeReason } from '../model/events';
import type { CheckStatus } from '../model/check';
import { CheckReport, reasonOf } from '../model/health';
import { InstanceRecord, needsChecker, StatusCounts, toInstanceView } from '../model/instance';
import { routeKey, RouteRecord, RouteSpec } from '../model/route';
import { routesOverlap } from '../model/route-pattern';
import { ChangeApplier } from './change-applier';
import { ChangeFeed } from './change-feed';
import { HistoryEntry } from './instance-history';
import { Journal } from './journal';
import { InstanceFilter, matchesFilter } from './instance-filter';
import {
  InstanceInput,
  InstancePatch,
  LifecycleEvent,
  nextStep,
  registeredRecord,
  shouldDeregister,
} from './lifecycle/instance-lifecycle';
import { instanceIdFor } from './registry-state';
import { AdmissionContext, admitRoute } from './routes/route-admission';
import { planInstanceRoutes, releaseRoute } from './routes/route-ownership';
import {
  REGISTRY_STORE,
  RegistryStore,
  StoreChange,
  StoreConflictError,
  StoreGuard,
  StoreUnavailableError,
} from './store/registry-store';
import { keysMovedBy, ROUTE_SET_KEY } from './store/store-keys';

export interface Registration {
  instance: InstanceRecord;
  /** Shown once, here; only its hash is kept. */
  token: string;
  routes: RouteRecord[];
}

/** A hash no token matches, compared against for unknown ids so they cost the same as known ones. */
const NO_SUCH_TOKEN = hashSecret(generateSecret());

/** How often a decision is made again when another writer changed what it was made on. */
const MAX_ATTEMPTS = 5;
/** How long the store's feed has to bring a commit before this node reads the store itself. */
const FEED_WAIT_MS = 1_000;
/** How long a write then goes on trying to read its commit before it answers 503. */
const CATCH_UP_MS = 2_000;

/** One decision: what to commit, what the caller gets, and the check claim it needs, if any. */
interface Plan<T> {
  changes: StoreChange[];
  result: T;
  claim?: string;
}

/**
 * The registry, the one writer of instances and routes: the native API, both compatibility APIs
 * and the health monitor report to it; the pure instance lifecycle decides the next record; the
 * registry commits it, guarded by the revision of every key it writes, so a decision made on
 * state another node changed meanwhile is made again. Memory follows the store's change feed
 * (ChangeApplier), and every answer shows the state after the change.
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
  private readonly applier: ChangeApplier;
  /**
   * The config file's routes as records, built once: the gateway keeps per-route state (rate-limit
   * windows, circuit breakers) by record, so a fresh copy per call would reset it on every change.
   */
  private readonly configRouteRecords: readonly RouteRecord[];
  /** Writes that change routes, one at a time (see transact). */
  private readonly routeWrites = new Serial();

  constructor(
    @Inject(REGISTRY_STORE) private readonly store: RegistryStore,
    @Inject(proxyConfig.KEY) private readonly proxy: ConfigType<typeof proxyConfig>,
    @Inject(healthConfig.KEY) private readonly health: ConfigType<typeof healthConfig>,
    events: EventEmitter2,
  ) {
    this.applier = new ChangeApplier(events);
    const startedAt = new Date().toISOString();
    this.configRouteRecords = proxy.routes.map((spec, index) => ({
      ...spec,
      id: `config-${index}`,
      origin: 'config' as const,
      owners: [],
      registeredAt: startedAt,
    }));
  }

  async onModuleInit(): Promise<void> {
    const snapshot = await this.store.load();
    this.applier.start(snapshot);
    this.store.follow(this.applier);
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
    this.applier.close();
  }

  /** Runs after both listeners have closed, so no request is left that could write. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  tokenHashOf(instanceId: string, token: string): string | null {
    const hash = this.state.instances.get(instanceId)?.tokenHash ?? NO_SUCH_TOKEN;
    return secretMatchesHash(token, hash) && this.state.instances.has(instanceId) ? hash : null;
  }

  /**
   * Registers an instance with its routes. The same service at the same URL registering again (a
   * restart), or an /internal/register-service client re-registering its service, replaces the
   * earlier record under the same id with a fresh token.
   */
  async register(input: InstanceInput, routeSpecs: readonly RouteSpec[]): Promise<Registration> {
    const token = generateSecret();
    const tokenHash = hashSecret(token);
    const instance = await this.transact(() => {
      const at = now();
      const previous = this.state.instanceLike(input);
      const id = previous?.id ?? instanceIdFor(input);
      this.refuseTakeover(input, id);
      const record = registeredRecord(input, { id, tokenHash, now: at }, previous);
      const routeChanges = planInstanceRoutes(this.state, id, routeSpecs, this.admission(), at);
      return {
        changes: [{ op: 'putInstance', instance: record, reason: 'registration' }, ...routeChanges],
        result: record,
      };
    });
    return { instance, token, routes: this.state.routesOwnedBy(instance.id) };
  }

  /** Deregisters an instance; the routes it brought go with it unless another owner keeps them. */
  removeInstance(
    id: string,
    reason: ChangeReason = 'deregistration',
    heldTokenHash?: string,
  ): Promise<InstanceRecord> {
    return this.transact(() => {
      const instance = this.requireInstance(id, heldTokenHash);
      const routes = this.state.routesOwnedBy(id).flatMap((route) => releaseRoute(route, id));
      return { changes: [{ op: 'deleteInstance', id, reason }, ...routes], result: instance };
    });
  }

  /** `PUT /service/:id/heartbeat`: renews a ttl check, restarts stopped checks. */
  heartbeat(id: string, heldTokenHash?: string): Promise<InstanceRecord> {
    return this.step(id, { type: 'heartbeat' }, heldTokenHash);
  }

  /**
   * Consul's check/pass|warn|fail|update: a ttl check told its status by the instance. Answers
   * the instance after it.
   */
  tellCheck(checkId: string, status: CheckStatus, output: string): Promise<InstanceRecord> {
    const instance = this.state.instanceWithCheck(checkId);
    const check = instance?.checks.find((candidate) => candidate.id === checkId);
    if (!instance || !check) {
      throw new AppError('CHECK_NOT_FOUND', `no check with id ${checkId.slice(0, 128)}`);
    }
    if (check.type !== 'ttl') {
      throw new AppError('VALIDATION_FAILED', `check ${checkId.slice(0, 128)} is not a TTL check`);
    }
    return this.step(instance.id, { type: 'ttlUpdate', checkId, status, output });
  }

  /** `PATCH /service/:id`: drain, undrain, metadata, weight. */
  patchInstance(id: string, patch: InstancePatch, heldTokenHash?: string): Promise<InstanceRecord> {
    return this.step(id, { type: 'operator', patch }, heldTokenHash);
  }

  /**
   * What the health monitor reports: a probe's outcome, a missed ttl or failed live traffic.
   * Written only while this node holds the instance's check claim. Answers the instance after the
   * report, or null when it is gone or another node checks it now.
   */
  async applyCheck(id: string, report: CheckReport): Promise<InstanceRecord | null> {
    const before = this.state.instances.get(id);
    if (!before) return null;
    const step = nextStep(before, { type: 'report', report }, this.health, now());
    let after = step.record;
    if (after === before) return before;
    if (!step.durable) {
      this.applier.keep(after);
    } else {
      const reason = step.statusChange?.reason ?? reasonOf(report);
      try {
        after = await this.transact(
          () => ({
            changes: [{ op: 'putInstance', instance: after, reason }],
            result: after,
            claim: id,
          }),
          1,
        );
      } catch (error) {
        if (error instanceof AppError && error.code === 'CONFLICT') return null;
        throw error;
      }
      if (step.stopped) this.announce.checksStopped(after);
    }
    const outcome =
      report.kind === 'probe'
        ? report.outcome
        : { ok: false, responseTimeMs: 0, error: after.lastError };
    this.announce.checked(after, outcome, reasonOf(report), step.statusChange !== null);
    return after;
  }

  /**
   * Removes every instance DOWN for DEREGISTER_AFTER or longer among those `checkedHere` names;
   * answers how many went.
   */
  async deregisterLongDown(
    nowMs = Date.now(),
    checkedHere: (id: string) => boolean = () => true,
  ): Promise<number> {
    let removed = 0;
    for (const instance of this.state.downInstances()) {
      if (!shouldDeregister(instance, this.health.deregisterAfterMs, nowMs)) continue;
      if (!checkedHere(instance.id)) continue;
      try {
        await this.removeInstance(instance.id, 'deregister_after');
      } catch (error) {
        // Gone already, or the store is away: the next sweep looks again.
        if (error instanceof AppError) continue;
        throw error;
      }
      this.announce.deregisteredAfterDown(instance);
      removed++;
    }
    return removed;
  }

  /** `POST /register`: a route to one backend URL. */
  addBackendRoute(spec: RouteSpec): Promise<RouteRecord> {
    return this.transact(() => {
      if (admitRoute(spec, this.admission())) {
        throw new AppError('ROUTE_EXISTS', `${spec.host ?? '*'}${spec.path} is already registered`);
      }
      const route: RouteRecord = {
        ...spec,
        id: randomUUID(),
        origin: 'register',
        owners: [],
        registeredAt: now(),
      };
      return { changes: [{ op: 'putRoute', route }], result: route };
    });
  }

  /** `POST /deregister`: only routes that `/register` made can go this way. */
  removeBackendRoute(host: string | null, path: string): Promise<RouteRecord> {
    return this.transact(() => {
      const route = this.state.routesByKey.get(routeKey({ host, path, methods: null }));
      if (!route || route.origin !== 'register') {
        throw new AppError('ROUTE_NOT_FOUND', `no route registered for ${host ?? '*'}${path}`);
      }
      return { changes: [{ op: 'deleteRoute', id: route.id }], result: route };
    });
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
    return this.applier.feed;
  }

  /** The discovery answer `{serviceType, instances}` as JSON, from the cache when nothing changed. */
  discover(serviceType: string, filter: InstanceFilter): string {
    const variant = JSON.stringify([filter.status, filter.tag, filter.zone, filter.version]);
    return this.applier.discovery.get(serviceType, variant, () =>
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

  /** Instances with a check: what a single node checks. */
  checkedCount(): number {
    let checked = 0;
    for (const instance of this.state.instances.values()) if (needsChecker(instance)) checked++;
    return checked;
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

  private get state() {
    return this.applier.state;
  }

  private get announce() {
    return this.applier.announce;
  }

  /**
   * An operator's or an instance's own change, on any node: guarded by the instance's revision.
   * `heldTokenHash`: the token hash the instance's credentials matched (requireInstance).
   */
  private step(
    id: string,
    event: Exclude<LifecycleEvent, { type: 'report' }>,
    heldTokenHash?: string,
  ): Promise<InstanceRecord> {
    return this.transact(() => {
      const before = this.requireInstance(id, heldTokenHash);
      const step = nextStep(before, event, this.health, now());
      const after = step.record;
      if (after === before) return { changes: [], result: before };
      return {
        changes: [{ op: 'putInstance', instance: after, reason: step.reason }],
        result: after,
      };
    });
  }

  /**
   * Decides, commits and waits until this node has applied the commit. Every key written is
   * guarded by the revision the decision saw; when another writer moved one meanwhile, the
   * decision is made again on the newer state, up to `attempts` times.
   */
  private async transact<T>(decide: () => Plan<T>, attempts = MAX_ATTEMPTS): Promise<T> {
    const plan = decide();
    if (!keysMovedBy(plan.changes).includes(ROUTE_SET_KEY)) {
      return this.commitDecided(decide, attempts, plan);
    }
    // Every route change moves the route set, so two decided in the same turn always conflict, and
    // their retries would meet again in the next one: N concurrent route writers need N rounds. On
    // this node they take turns instead (other nodes' writes are still held off by the guard).
    return this.routeWrites.run(() => this.commitDecided(decide, attempts));
  }

  /** The loop of transact; `decided` is a first decision already made. */
  private async commitDecided<T>(
    decide: () => Plan<T>,
    attempts: number,
    decided?: Plan<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { changes, result, claim } = attempt === 1 && decided ? decided : decide();
      if (changes.length === 0) return result;
      const guards: StoreGuard[] = keysMovedBy(changes).map((key) => ({
        key,
        revision: this.applier.revisions.of(key),
      }));
      if (claim !== undefined) guards.push({ claim });
      try {
        const services = [...this.applier.touchedServices(changes)];
        const revision = await this.store.commit(changes, guards, services);
        await this.caughtUp(revision);
        return result;
      } catch (error) {
        if (error instanceof StoreConflictError) {
          if (attempt >= attempts) {
            throw new AppError('CONFLICT', 'changed by another request meanwhile; try again');
          }
          await this.caughtUp(error.revision);
          continue;
        }
        if (error instanceof StoreUnavailableError) {
          this.logger.warn(`a write failed: ${error.message}`);
          throw new AppError('STORE_UNAVAILABLE', 'store unavailable');
        }
        throw error;
      }
    }
  }

  /**
   * Resolves once this node has applied `revision`: from the store's feed or, when the feed is late
   * (an etcd watch reconnecting after a member went away), from a read of the store. A write is
   * never answered from memory that does not hold it yet: the client's next request, to this node,
   * would not find what it was just told exists. When even the store cannot be read, 503: on etcd,
   * like a write whose answer came too late, it may have committed.
   */
  private async caughtUp(revision: number): Promise<void> {
    if (await this.applier.untilApplied(revision, FEED_WAIT_MS)) return;
    if (this.store.catchUp) {
      this.logger.warn(
        `revision ${revision} is committed but not applied here yet: reading the store`,
      );
      for (const deadline = Date.now() + CATCH_UP_MS; Date.now() < deadline;) {
        const read = await this.store.catchUp().then(
          () => true,
          () => false,
        );
        if (this.applier.revision >= revision) return;
        // A failed read is tried again after a pause in which the feed may still bring it.
        if (!read && (await this.applier.untilApplied(revision, 100))) return;
      }
    }
    throw new AppError('STORE_UNAVAILABLE', 'store unavailable');
  }

  /**
   * A registration that names its id (Consul's) may not take the id of an instance registered
   * another way, nor a check id another instance has.
   */
  private refuseTakeover(input: InstanceInput, id: string): void {
    const holder = this.state.instances.get(id);
    if (holder && holder.origin !== input.origin) {
      throw new AppError('INSTANCE_EXISTS', `id ${id.slice(0, 128)} belongs to another instance`);
    }
    for (const check of input.checks ?? []) {
      const owner = check.id === null ? undefined : this.state.instanceWithCheck(check.id);
      if (owner && owner.id !== id) {
        throw new AppError(
          'INSTANCE_EXISTS',
          `check id ${check.id?.slice(0, 128)} belongs to instance ${owner.id.slice(0, 128)}`,
        );
      }
    }
  }

  /**
   * With `heldTokenHash` (the hash an instance's credentials matched when its request came in), the
   * instance must still hold that token. A decision made again after a conflict sees the newer
   * record: when the instance registered again on another node meanwhile, its old token no longer
   * acts for it, whatever this node knew when the guard let the request in.
   */
  private requireInstance(id: string, heldTokenHash?: string): InstanceRecord {
    const instance = this.state.instances.get(id);
    if (!instance)
      throw new AppError('INSTANCE_NOT_FOUND', `no instance with id ${id.slice(0, 64)}`);
    if (heldTokenHash !== undefined && instance.tokenHash !== heldTokenHash) {
      throw new AppError('UNAUTHORIZED', 'the instance registered again: its token was replaced');
    }
    return instance;
  }

  private admission(): AdmissionContext {
    return {
      configRoutes: this.proxy.routes,
      routesByKey: this.state.routesByKey,
      servicePermissions: this.proxy.servicePermissions,
    };
  }
}

function now(): string {
  return new Date().toISOString();
}
