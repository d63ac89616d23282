import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { healthConfig } from '../config/config.namespaces';
import { InstanceRecord } from '../registry/instance.model';
import { InstanceEvent, InstanceUpdatedEvent, REGISTRY_EVENTS } from '../registry/registry.events';
import { RegistryService } from '../registry/registry.service';
import { nextDue, phaseOf } from './check-schedule';
import { DueQueue } from './due-queue';
import { HEALTH_EVENTS, UpstreamFailedEvent } from './health-monitor.events';
import {
  applyCheck,
  applyHeartbeat,
  applyTtlExpired,
  CheckOutcome,
  shouldDeregister,
  Transition,
} from './health-policy';
import { HttpProbe } from './probes/http.probe';
import { tcpProbe } from './probes/tcp.probe';

const DISPATCH_TIMEOUT = 'health-checks';
const SWEEP_INTERVAL = 'deregister-after';

/**
 * Runs every instance's checks from one queue and one timer: each instance is due at its own phase
 * of its interval (DOWN_CHECK_INTERVAL while DOWN), at most HEALTH_CHECK_CONCURRENCY checks are in
 * flight, results go through the pure health policy, and the registry stores what changed.
 */
@Injectable()
export class CheckScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CheckScheduler.name);
  private readonly queue = new DueQueue();
  private readonly http: HttpProbe;
  /** Instances with a check in flight, and whether something asked for a new check meanwhile. */
  private readonly running = new Map<string, { recheck: boolean }>();
  private armedFor: number | null = null;
  private stopped = false;

  constructor(
    private readonly registry: RegistryService,
    private readonly events: EventEmitter2,
    private readonly scheduler: SchedulerRegistry,
    @Inject(healthConfig.KEY) private readonly settings: ConfigType<typeof healthConfig>,
  ) {
    this.http = new HttpProbe(Math.min(settings.intervalMs * 2, 60_000));
  }

  /** After a restart every instance keeps its status and is checked again at once. */
  onApplicationBootstrap(): void {
    for (const instance of this.registry.allInstances()) this.scheduleFirst(instance);
    if (this.settings.deregisterAfterMs !== null) {
      const every = Math.max(250, Math.min(5_000, Math.floor(this.settings.deregisterAfterMs / 4)));
      this.scheduler.addInterval(
        SWEEP_INTERVAL,
        setInterval(() => this.sweepLongDown(), every),
      );
    }
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
    this.pump();
  }

  @OnEvent(REGISTRY_EVENTS.instanceRemoved)
  onRemoved({ instance }: InstanceEvent): void {
    this.queue.remove(instance.id);
  }

  /** Re-registration, a heartbeat, an admin's undrain: each can start checks again. */
  @OnEvent(REGISTRY_EVENTS.instanceUpdated)
  onUpdated({ instance, previous }: InstanceUpdatedEvent): void {
    const moved =
      instance.url !== previous.url ||
      JSON.stringify(instance.healthCheck) !== JSON.stringify(previous.healthCheck);
    const restarted = previous.checksStopped && !instance.checksStopped;
    const drained = instance.status === 'MAINTENANCE';
    const undrained = previous.status === 'MAINTENANCE' && !drained;
    const reregistered = instance.tokenHash !== previous.tokenHash;
    if (drained) {
      this.queue.remove(instance.id);
    } else if (
      instance.healthCheck.type === 'ttl' &&
      instance.lastHeartbeatAt !== previous.lastHeartbeatAt &&
      instance.lastHeartbeatAt
    ) {
      this.record(instance, applyHeartbeat(instance, instance.lastHeartbeatAt));
      this.scheduleTtl(this.registry.getInstance(instance.id));
    } else if (moved || restarted || undrained || reregistered) {
      this.scheduleFirst(instance);
    }
    this.pump();
  }

  /**
   * Passive check: the gateway could not reach an instance. It counts as a failed check, so a dead
   * instance goes DOWN after UNHEALTHY_THRESHOLD such failures instead of waiting for its next check.
   */
  @OnEvent(HEALTH_EVENTS.upstreamFailed)
  onUpstreamFailed({ instanceId, error }: UpstreamFailedEvent): void {
    const instance = this.registry.instancesById(instanceId);
    if (!instance || instance.status === 'MAINTENANCE' || instance.healthCheck.type === 'none')
      return;
    const outcome: CheckOutcome = { ok: false, responseTimeMs: 0, error: `live traffic: ${error}` };
    const after = this.record(
      instance,
      applyCheck(instance, outcome, this.settings, new Date().toISOString()),
      outcome,
    );
    // A DOWN instance is next checked on the DOWN_CHECK_INTERVAL rhythm; ttl instances keep theirs.
    if (after?.status === 'DOWN' && !after.checksStopped && after.healthCheck.type !== 'ttl') {
      this.scheduleNext(after);
    }
  }

  private scheduleFirst(instance: InstanceRecord): void {
    if (
      instance.status === 'MAINTENANCE' ||
      instance.checksStopped ||
      instance.healthCheck.type === 'none'
    ) {
      this.queue.remove(instance.id);
    } else if (instance.healthCheck.type === 'ttl') {
      this.scheduleTtl(instance);
    } else {
      this.queue.schedule(instance.id, Date.now());
    }
  }

  private scheduleTtl(instance: InstanceRecord): void {
    const since = Date.parse(instance.lastHeartbeatAt ?? instance.registeredAt);
    this.queue.schedule(
      instance.id,
      since + (instance.healthCheck.ttl ?? this.settings.intervalMs * 3),
    );
  }

  private scheduleNext(instance: InstanceRecord): void {
    if (instance.checksStopped || instance.status === 'MAINTENANCE') return;
    const interval =
      instance.status === 'DOWN'
        ? this.settings.downIntervalMs
        : (instance.healthCheck.interval ?? this.settings.intervalMs);
    this.queue.schedule(instance.id, nextDue(Date.now(), interval, phaseOf(instance.id, interval)));
  }

  /** Starts every due check the concurrency allows, then arms the one timer for the next due time. */
  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    while (this.running.size < this.settings.concurrency) {
      const id = this.queue.popDue(now);
      if (id === null) break;
      const running = this.running.get(id);
      if (running) {
        running.recheck = true;
        continue;
      }
      const instance = this.registry.instancesById(id);
      if (instance) this.start(instance);
    }
    this.arm(this.running.size < this.settings.concurrency ? this.queue.peekDue() : null);
  }

  private start(instance: InstanceRecord): void {
    if (instance.healthCheck.type === 'ttl') {
      const ttl = instance.healthCheck.ttl ?? this.settings.intervalMs * 3;
      const since = Date.parse(instance.lastHeartbeatAt ?? instance.registeredAt);
      // Only a ttl that really ran out counts: a heartbeat may have come since this was queued.
      if (Date.now() - since < ttl) return this.scheduleTtl(instance);
      this.record(instance, applyTtlExpired(instance, ttl, new Date().toISOString()));
      return;
    }
    const state = { recheck: false };
    this.running.set(instance.id, state);
    void this.probe(instance).then((outcome) => {
      this.running.delete(instance.id);
      if (this.stopped) return;
      const current = this.registry.instancesById(instance.id);
      // Re-registered or moved meanwhile: this result speaks of an old address.
      if (current && current.url === instance.url && current.tokenHash === instance.tokenHash) {
        const after = this.record(
          current,
          applyCheck(current, outcome, this.settings, new Date().toISOString()),
          outcome,
        );
        if (after) {
          if (state.recheck) this.queue.schedule(after.id, Date.now());
          else this.scheduleNext(after);
        }
      } else if (current) {
        this.scheduleFirst(current);
      }
      this.pump();
    });
  }

  private probe(instance: InstanceRecord): Promise<CheckOutcome> {
    const timeout = instance.healthCheck.timeout ?? this.settings.timeoutMs;
    if (instance.healthCheck.type === 'tcp') return tcpProbe(instance.host, instance.port, timeout);
    return this.http.check(instance.url + instance.healthCheck.path, timeout);
  }

  /** Stores the transition: counters in memory, a status change (or a stop) committed, logged once and announced. */
  private record(
    instance: InstanceRecord,
    transition: Transition,
    outcome?: CheckOutcome,
  ): InstanceRecord | null {
    const persist = transition.statusChange !== null || transition.stopped;
    const after = this.registry.recordHealth(instance.id, transition.fields, persist);
    if (!after) return null;
    if (outcome)
      this.events.emit(outcome.ok ? HEALTH_EVENTS.checkPassed : HEALTH_EVENTS.checkFailed, {
        instance: after,
        outcome,
      });
    if (transition.statusChange) {
      const { from, to } = transition.statusChange;
      const why = to === 'UP' ? '' : ` (${after.lastError ?? 'failed'})`;
      this.logger.log(`${after.serviceType} ${after.url} ${from} -> ${to}${why}`);
      this.events.emit(HEALTH_EVENTS.statusChanged, { instance: after, from, to });
    }
    if (transition.stopped) {
      this.logger.warn(
        `${after.serviceType} ${after.url}: checks stopped after ${after.consecutiveFailures} consecutive failures`,
      );
    }
    return after;
  }

  private sweepLongDown(): void {
    const now = Date.now();
    for (const instance of [...this.registry.allInstances()]) {
      if (shouldDeregister(instance, this.settings.deregisterAfterMs, now)) {
        this.queue.remove(instance.id);
        this.registry.removeInstance(instance.id);
        this.logger.log(
          `${instance.serviceType} ${instance.url} deregistered: DOWN since ${instance.downSince}`,
        );
      }
    }
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
