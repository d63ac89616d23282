import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { healthConfig } from '../config/config.namespaces';
import { CHECK_OWNERSHIP, CheckOwnership, OwnershipMove } from './check-ownership';
import {
  GATEWAY_EVENTS,
  InstanceEvent,
  InstanceUpdatedEvent,
  REGISTRY_EVENTS,
  UpstreamFailedEvent,
} from '../model/events';
import { CheckSpec, combineOutcomes, isProbe, tcpAddressOf } from '../model/check';
import { CheckOutcome } from '../model/health';
import { InstanceRecord } from '../model/instance';
import { RegistryService } from '../registry/registry.service';
import { hasProbes, isChecked, planAfterChange, probeInterval, ttlDue } from './check-plan';
import { nextDue, phaseOf } from './check-schedule';
import { DueQueue } from './due-queue';
import { UpstreamTrust } from '../tls/upstream-trust';
import { HttpProbe } from './probes/http.probe';
import { tcpProbe } from './probes/tcp.probe';

const DISPATCH_TIMEOUT = 'health-checks';
const SWEEP_INTERVAL = 'deregister-after';
/** The queue's key of an instance's ttl deadline, beside its own id for its probes. */
const TTL_KEY = '\u0000ttl';
/** How often instances DOWN too long are looked for when only DeregisterCriticalServiceAfter asks. */
const SWEEP_EVERY_MS = 1_000;

/** What one probe of an instance found: all its probe checks as one, and each on its own. */
interface ProbeRound {
  outcome: CheckOutcome;
  perCheck?: ReadonlyMap<string, CheckOutcome>;
}

/**
 * Runs every instance's checks from one queue and one timer: each instance is due at its own phase
 * of its interval (DOWN_CHECK_INTERVAL while DOWN), at most HEALTH_CHECK_CONCURRENCY checks are in
 * flight. It only schedules, probes and reports (`registry.applyCheck`): the registry decides what
 * a result does and announces it; the scheduler follows those announcements to keep its queue.
 * On a fleet it checks only the instances this node holds the claim of (CheckOwnership).
 */
@Injectable()
export class CheckScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly queue = new DueQueue();
  private readonly http: HttpProbe;
  /** Instances with a check in flight, and whether something asked for a new check meanwhile. */
  private readonly running = new Map<string, { recheck: boolean }>();
  private armedFor: number | null = null;
  private stopped = false;
  private pumpQueued = false;

  constructor(
    private readonly registry: RegistryService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(healthConfig.KEY) private readonly settings: ConfigType<typeof healthConfig>,
    @Inject(CHECK_OWNERSHIP) private readonly ownership: CheckOwnership,
    trust: UpstreamTrust,
  ) {
    this.http = new HttpProbe(Math.min(settings.intervalMs * 2, 60_000), trust);
  }

  /** After a restart every instance keeps its status and is checked again at once. */
  onApplicationBootstrap(): void {
    for (const instance of this.registry.allInstances()) this.scheduleFirst(instance);
    this.ownership.onMove((move) => this.onMove(move));
    this.ownership.onTrafficReport((id, error) => this.trafficFailed(id, error));
    // Always on: an instance may bring its own DeregisterCriticalServiceAfter.
    const setting = this.settings.deregisterAfterMs;
    const every =
      setting === null
        ? SWEEP_EVERY_MS
        : Math.max(250, Math.min(SWEEP_EVERY_MS, Math.floor(setting / 4)));
    this.scheduler.addInterval(
      SWEEP_INTERVAL,
      setInterval(
        () => void this.registry.deregisterLongDown(Date.now(), (id) => this.ownership.owns(id)),
        every,
      ),
    );
    this.pump();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.disarm();
    if (this.scheduler.doesExist('interval', SWEEP_INTERVAL))
      this.scheduler.deleteInterval(SWEEP_INTERVAL);
    await this.http.close();
  }

  @OnEvent(REGISTRY_EVENTS.instanceRegistered)
  onRegistered({ instance }: InstanceEvent): void {
    this.scheduleFirst(instance);
    this.pumpSoon();
  }

  @OnEvent(REGISTRY_EVENTS.instanceRemoved)
  onRemoved({ instance }: InstanceEvent): void {
    this.queue.remove(instance.id);
    this.queue.remove(instance.id + TTL_KEY);
  }

  /** Follows a committed change: re-registration, heartbeat, drain, undrain, failed traffic. */
  @OnEvent(REGISTRY_EVENTS.instanceUpdated)
  onUpdated(event: InstanceUpdatedEvent): void {
    const { instance } = event;
    if (!this.ownership.owns(instance.id)) return;
    switch (planAfterChange(event)) {
      case 'remove':
        this.queue.remove(instance.id);
        break;
      case 'now':
        this.queue.schedule(instance.id, Date.now());
        break;
      case 'down':
        this.scheduleNext(instance);
        break;
      case 'keep':
        break;
    }
    this.scheduleTtl(instance);
    this.pumpSoon();
  }

  /** The gateway's passive check: live traffic could not reach an instance. */
  @OnEvent(GATEWAY_EVENTS.upstreamFailed)
  onUpstreamFailed({ instanceId, error }: UpstreamFailedEvent): void {
    if (this.ownership.owns(instanceId)) this.trafficFailed(instanceId, error);
    else this.ownership.reportTraffic(instanceId, error);
  }

  private trafficFailed(instanceId: string, error: string): void {
    void this.registry.applyCheck(instanceId, { kind: 'traffic', error }).catch(() => {});
  }

  /** Instances moved between nodes: a gained one is checked at once (a ttl one at its deadline). */
  private onMove({ gained, lost }: OwnershipMove): void {
    for (const id of lost) {
      this.queue.remove(id);
      this.queue.remove(id + TTL_KEY);
    }
    for (const id of gained) {
      const instance = this.registry.instancesById(id);
      if (instance) this.scheduleFirst(instance);
    }
    this.pumpSoon();
  }

  private scheduleFirst(instance: InstanceRecord): void {
    const probes = isChecked(instance) && hasProbes(instance) && this.ownership.owns(instance.id);
    if (probes) this.queue.schedule(instance.id, Date.now());
    else this.queue.remove(instance.id);
    this.scheduleTtl(instance);
  }

  /** The instance's next ttl deadline, if it has ttl checks this node watches. */
  private scheduleTtl(instance: InstanceRecord): void {
    const due = this.ownership.owns(instance.id) ? ttlDue(instance, Date.now()) : null;
    if (due === null) this.queue.remove(instance.id + TTL_KEY);
    else this.queue.schedule(instance.id + TTL_KEY, due);
  }

  /** The store did not take a result: the instance is checked again one interval later. */
  private retryLater(key: string): void {
    const id = key.endsWith(TTL_KEY) ? key.slice(0, -TTL_KEY.length) : key;
    if (!this.stopped && this.ownership.owns(id))
      this.queue.schedule(key, Date.now() + this.settings.intervalMs);
  }

  private scheduleNext(instance: InstanceRecord): void {
    if (instance.checksStopped || instance.status === 'MAINTENANCE') return;
    if (!this.ownership.owns(instance.id)) return;
    const interval =
      instance.status === 'DOWN'
        ? this.settings.downIntervalMs
        : probeInterval(instance, this.settings.intervalMs);
    this.queue.schedule(instance.id, nextDue(Date.now(), interval, phaseOf(instance.id, interval)));
  }

  /**
   * The pump, at the end of this turn: listeners of the registry's announcements only move the queue
   * and never start a check from inside the registry's own change (a due ttl check would write to
   * it again). Several changes in one turn share one pump.
   */
  private pumpSoon(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Starts every due check the concurrency allows, then arms the one timer for the next due time. */
  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    while (this.running.size < this.settings.concurrency) {
      const key = this.queue.popDue(now);
      if (key === null) break;
      if (key.endsWith(TTL_KEY)) {
        const instance = this.registry.instancesById(key.slice(0, -TTL_KEY.length));
        if (instance) this.expireTtls(instance);
        continue;
      }
      const running = this.running.get(key);
      if (running) {
        running.recheck = true;
        continue;
      }
      const instance = this.registry.instancesById(key);
      if (instance) this.start(instance);
    }
    this.arm(this.running.size < this.settings.concurrency ? this.queue.peekDue() : null);
  }

  /** A ttl deadline came: the ttl checks that really ran out are reported. */
  private expireTtls(instance: InstanceRecord): void {
    // Only a ttl that really ran out counts: a heartbeat may have come since this was queued.
    const due = ttlDue(instance, Date.now());
    if (due === null) return;
    if (due > Date.now()) return this.queue.schedule(instance.id + TTL_KEY, due);
    void this.registry.applyCheck(instance.id, { kind: 'ttl' }).then(
      (after) => {
        // Written or not (a heartbeat may have come meanwhile), the next deadline follows from what is.
        const current = after ?? this.registry.instancesById(instance.id);
        if (current && !this.stopped) this.scheduleTtl(current);
      },
      () => this.retryLater(instance.id + TTL_KEY),
    );
  }

  private start(instance: InstanceRecord): void {
    const state = { recheck: false };
    this.running.set(instance.id, state);
    void this.probe(instance)
      .then((outcome) => this.report(instance, outcome, state))
      .catch(() => this.retryLater(instance.id))
      .finally(() => {
        this.running.delete(instance.id);
        this.pump();
      });
  }

  /** Hands a probe's outcome to the registry, then queues the next check of what it answers. */
  private async report(
    probed: InstanceRecord,
    outcome: ProbeRound,
    state: { recheck: boolean },
  ): Promise<void> {
    if (this.stopped) return;
    const current = this.registry.instancesById(probed.id);
    // Re-registered or moved meanwhile: this outcome speaks of an old address.
    if (current && (current.url !== probed.url || current.tokenHash !== probed.tokenHash)) {
      this.scheduleFirst(current);
      return;
    }
    if (!current || !this.ownership.owns(probed.id)) return;
    // Null when the outcome was not written (the instance changed meanwhile): go on from what is.
    const after =
      (await this.registry.applyCheck(probed.id, { kind: 'probe', ...outcome })) ??
      this.registry.instancesById(probed.id);
    if (!after || this.stopped) return;
    if (state.recheck) this.queue.schedule(after.id, Date.now());
    else this.scheduleNext(after);
  }

  /** Probes every http and tcp check of the instance at once. */
  private async probe(instance: InstanceRecord): Promise<ProbeRound> {
    const checks = instance.checks.filter(isProbe);
    const outcomes = await Promise.all(checks.map((check) => this.probeOne(instance, check)));
    const outcome = combineOutcomes(outcomes);
    if (checks.length === 1) return { outcome };
    return { outcome, perCheck: new Map(checks.map((check, i) => [check.id, outcomes[i]!])) };
  }

  private probeOne(instance: InstanceRecord, check: CheckSpec): Promise<CheckOutcome> {
    const timeout = check.timeout ?? this.settings.timeoutMs;
    if (check.type === 'tcp') {
      const { host, port } = check.target ? tcpAddressOf(check.target) : instance;
      return tcpProbe(host, port, timeout);
    }
    return this.http.check(check.target ?? instance.url + check.path, timeout);
  }

  private arm(due: number | null): void {
    if (due === this.armedFor) return;
    this.disarm();
    if (due === null) return;
    this.armedFor = due;
    const timer = setTimeout(
      () => {
        this.armedFor = null;
        this.scheduler.deleteTimeout(DISPATCH_TIMEOUT);
        this.pump();
      },
      Math.max(0, due - Date.now()),
    );
    this.scheduler.addTimeout(DISPATCH_TIMEOUT, timer);
  }

  private disarm(): void {
    this.armedFor = null;
    if (this.scheduler.doesExist('timeout', DISPATCH_TIMEOUT))
      this.scheduler.deleteTimeout(DISPATCH_TIMEOUT);
  }
}
