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
import { CheckOutcome } from '../model/health';
import { InstanceRecord } from '../model/instance';
import { RegistryService } from '../registry/registry.service';
import { isChecked, planAfterChange, ttlDeadline } from './check-plan';
import { nextDue, phaseOf } from './check-schedule';
import { DueQueue } from './due-queue';
import { HttpProbe } from './probes/http.probe';
import { tcpProbe } from './probes/tcp.probe';

const DISPATCH_TIMEOUT = 'health-checks';
const SWEEP_INTERVAL = 'deregister-after';

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
  ) {
    this.http = new HttpProbe(Math.min(settings.intervalMs * 2, 60_000));
  }

  /** After a restart every instance keeps its status and is checked again at once. */
  onApplicationBootstrap(): void {
    for (const instance of this.registry.allInstances()) this.scheduleFirst(instance);
    this.ownership.onMove((move) => this.onMove(move));
    this.ownership.onTrafficReport((id, error) => this.trafficFailed(id, error));
    if (this.settings.deregisterAfterMs !== null) {
      const every = Math.max(250, Math.min(5_000, Math.floor(this.settings.deregisterAfterMs / 4)));
      this.scheduler.addInterval(
        SWEEP_INTERVAL,
        setInterval(
          () => void this.registry.deregisterLongDown(Date.now(), (id) => this.ownership.owns(id)),
          every,
        ),
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
    this.pumpSoon();
  }

  @OnEvent(REGISTRY_EVENTS.instanceRemoved)
  onRemoved({ instance }: InstanceEvent): void {
    this.queue.remove(instance.id);
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
        this.scheduleFirst(instance);
        break;
      case 'ttl':
        this.queue.schedule(instance.id, ttlDeadline(instance));
        break;
      case 'down':
        this.scheduleNext(instance);
        break;
      case 'keep':
        return;
    }
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
    for (const id of lost) this.queue.remove(id);
    for (const id of gained) {
      const instance = this.registry.instancesById(id);
      if (instance) this.scheduleFirst(instance);
    }
    this.pumpSoon();
  }

  private scheduleFirst(instance: InstanceRecord): void {
    if (!isChecked(instance) || !this.ownership.owns(instance.id)) this.queue.remove(instance.id);
    else if (instance.healthCheck.type === 'ttl')
      this.queue.schedule(instance.id, ttlDeadline(instance));
    else this.queue.schedule(instance.id, Date.now());
  }

  /** The store did not take a result: the instance is checked again one interval later. */
  private retryLater(id: string): void {
    if (!this.stopped && this.ownership.owns(id))
      this.queue.schedule(id, Date.now() + this.settings.intervalMs);
  }

  private scheduleNext(instance: InstanceRecord): void {
    if (instance.checksStopped || instance.status === 'MAINTENANCE') return;
    if (!this.ownership.owns(instance.id)) return;
    const interval =
      instance.status === 'DOWN'
        ? this.settings.downIntervalMs
        : (instance.healthCheck.interval ?? this.settings.intervalMs);
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
      // Only a ttl that really ran out counts: a heartbeat may have come since this was queued.
      const deadline = ttlDeadline(instance);
      if (Date.now() < deadline) return this.queue.schedule(instance.id, deadline);
      void this.registry.applyCheck(instance.id, { kind: 'ttl' }).then(
        (after) => {
          // Not written (the instance changed meanwhile, a heartbeat perhaps): look again.
          const current = this.registry.instancesById(instance.id);
          if (after === null && current) this.scheduleFirst(current);
        },
        () => this.retryLater(instance.id),
      );
      return;
    }
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
    outcome: CheckOutcome,
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
      (await this.registry.applyCheck(probed.id, { kind: 'probe', outcome })) ??
      this.registry.instancesById(probed.id);
    if (!after || this.stopped) return;
    if (state.recheck) this.queue.schedule(after.id, Date.now());
    else this.scheduleNext(after);
  }

  private probe(instance: InstanceRecord): Promise<CheckOutcome> {
    const timeout = instance.healthCheck.timeout ?? this.settings.timeoutMs;
    if (instance.healthCheck.type === 'tcp') return tcpProbe(instance.host, instance.port, timeout);
    return this.http.check(instance.url + instance.healthCheck.path, timeout);
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
