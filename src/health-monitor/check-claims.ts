import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import { serverConfig } from '../config/config.namespaces';
import { FleetChange, FleetService } from '../fleet/fleet.service';
import { checkerOf } from '../fleet/rendezvous';
import { InstanceEvent, InstanceUpdatedEvent, REGISTRY_EVENTS } from '../model/events';
import { needsChecker } from '../model/instance';
import { RegistryService } from '../registry/registry.service';
import { CheckOwnership, OwnershipMove } from './check-ownership';

/** Claim writes in flight at once: thousands of instances are claimed at start, not all at once. */
const MAX_IN_FLIGHT = 32;
const RETRY_MS = 1_000;

/**
 * On a fleet, which node checks each instance: the live member that rendezvous hashing picks
 * claims it with a create-only key tied to its lease, and lets go when another member should
 * (one joined) or the instance is gone. A node checks exactly the instances whose claim it holds;
 * a member that stops revokes its lease and its claims go with it, one that dies loses them when
 * its lease runs out (NODE_TTL), and the others claim what they now should. Failed live traffic
 * for an instance checked elsewhere is written for the checking node under `fleet/reports/`.
 */
@Injectable()
export class CheckClaims implements CheckOwnership, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CheckClaims.name);
  private readonly owned = new Set<string>();
  private readonly moveListeners: ((move: OwnershipMove) => void)[] = [];
  private readonly trafficListeners: ((instanceId: string, error: string) => void)[] = [];
  /** Instances whose claim may need a write, deduplicated. */
  private readonly due = new Set<string>();
  private readonly writing = new Set<string>();
  private readonly reporting = new Set<string>();
  private readonly unreported = new Map<string, { failures: number; error: string }>();
  private sweep: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly fleet: FleetService,
    private readonly registry: RegistryService,
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.fleet.enabled) return;
    this.fleet.onChange((change) => this.onFleetChange(change));
    this.fleet.onTrafficReport(({ instanceId, error }) => {
      if (this.owns(instanceId))
        for (const listener of this.trafficListeners) listener(instanceId, error);
    });
    // A safety net under the watch: every claim is looked at again a few times per NODE_TTL.
    this.sweep = setInterval(() => this.reconcileAll(), Math.max(1_000, this.server.nodeTtlMs / 4));
    this.sweep.unref();
    this.reconcileAll();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.sweep) clearInterval(this.sweep);
    if (this.retry) clearTimeout(this.retry);
  }

  owns(instanceId: string): boolean {
    return this.owned.has(instanceId);
  }

  /** How many instances this node checks now. */
  get count(): number {
    return this.owned.size;
  }

  onMove(listener: (move: OwnershipMove) => void): void {
    this.moveListeners.push(listener);
  }

  onTrafficReport(listener: (instanceId: string, error: string) => void): void {
    this.trafficListeners.push(listener);
  }

  /**
   * One report in flight per instance: failures that come meanwhile are counted and go in the next
   * one, so a burst is a few writes and the checker still counts every failure.
   */
  reportTraffic(instanceId: string, error: string): void {
    const waiting = this.unreported.get(instanceId);
    this.unreported.set(instanceId, { failures: (waiting?.failures ?? 0) + 1, error });
    if (!this.reporting.has(instanceId)) this.sendReport(instanceId);
  }

  private sendReport(instanceId: string): void {
    const client = this.fleet.client;
    const lease = this.fleet.currentLease;
    const report = this.unreported.get(instanceId);
    this.unreported.delete(instanceId);
    if (!client || lease === null || !report) return;
    this.reporting.add(instanceId);
    void client
      .put(this.fleet.keys.report(instanceId))
      .value(JSON.stringify({ node: this.fleet.nodeId, ...report, at: new Date().toISOString() }))
      .lease(lease)
      .exec()
      .catch((failure: Error) => this.logger.debug(`traffic report not sent: ${failure.message}`))
      .finally(() => {
        this.reporting.delete(instanceId);
        if (this.unreported.has(instanceId)) this.sendReport(instanceId);
      });
  }

  @OnEvent(REGISTRY_EVENTS.instanceRegistered)
  onRegistered({ instance }: InstanceEvent): void {
    if (this.fleet.enabled) this.reconcile([instance.id]);
  }

  @OnEvent(REGISTRY_EVENTS.instanceRemoved)
  onRemoved({ instance }: InstanceEvent): void {
    if (this.fleet.enabled) this.reconcile([instance.id]);
  }

  /** A re-registration may bring a check where there was none, or take it away. */
  @OnEvent(REGISTRY_EVENTS.instanceUpdated)
  onUpdated({ instance, previous }: InstanceUpdatedEvent): void {
    if (this.fleet.enabled && needsChecker(instance) !== needsChecker(previous))
      this.reconcile([instance.id]);
  }

  private onFleetChange({ nodes, claims }: FleetChange): void {
    if (nodes) this.reconcileAll();
    else this.reconcile(claims);
  }

  private reconcileAll(): void {
    if (this.stopped) return;
    const ids = new Set<string>(this.owned);
    for (const instance of this.registry.allInstances()) ids.add(instance.id);
    this.reconcile(ids);
  }

  /** Brings `owned` in line with the claims, and queues the claim writes these instances need. */
  private reconcile(ids: Iterable<string>): void {
    if (this.stopped) return;
    const me = this.fleet.nodeId;
    const nodes = this.fleet.liveNodes();
    const gained: string[] = [];
    const lost: string[] = [];
    for (const id of ids) {
      const holder = this.fleet.claimOf(id)?.node;
      const wanted = this.wanted(id, nodes);
      const instance = this.registry.instancesById(id);
      const holds =
        this.fleet.currentLease !== null &&
        instance !== undefined &&
        needsChecker(instance) &&
        this.fleet.holds(id);
      if (holds && !this.owned.has(id)) {
        this.owned.add(id);
        gained.push(id);
      } else if (!holds && this.owned.delete(id)) {
        lost.push(id);
      }
      // Mine under an older lease: this node restarted under the same NODE_ID.
      const stale = holder === me && !this.fleet.holds(id);
      if ((wanted && (holder === undefined || stale)) || (holder === me && !wanted))
        this.due.add(id);
    }
    if (gained.length > 0 || lost.length > 0)
      for (const listener of this.moveListeners) listener({ gained, lost });
    this.write();
  }

  /** True when this node, with a lease, should check the instance: it has a check and hashes here. */
  private wanted(id: string, nodes: readonly string[]): boolean {
    const instance = this.registry.instancesById(id);
    return (
      this.fleet.currentLease !== null &&
      instance !== undefined &&
      needsChecker(instance) &&
      checkerOf(id, nodes) === this.fleet.nodeId
    );
  }

  /** Claims and releases, at most MAX_IN_FLIGHT at once; each result comes back through the watch. */
  private write(): void {
    const client = this.fleet.client;
    const lease = this.fleet.currentLease;
    if (!client || lease === null) return;
    for (const id of this.due) {
      if (this.writing.size >= MAX_IN_FLIGHT) return;
      this.due.delete(id);
      const me = this.fleet.nodeId;
      const held = this.fleet.claimOf(id);
      // Another node's claim is that node's to let go.
      if (this.writing.has(id) || (held !== undefined && held.node !== me)) continue;
      const key = this.fleet.keys.claim(id);
      const wanted = this.wanted(id, this.fleet.liveNodes());
      const take = client.put(key).value(me).lease(lease);
      const txn =
        held === undefined
          ? client.if(key, 'Create', '==', 0).then(take)
          : wanted
            ? client.if(key, 'Lease', '==', held.lease).then(take)
            : client.if(key, 'Value', '==', me).then(client.delete().key(key));
      this.writing.add(id);
      void txn
        .commit()
        .catch((error: Error) => {
          this.logger.debug(`claim write for ${id} failed: ${error.message}`);
          this.retryLater();
        })
        .finally(() => {
          this.writing.delete(id);
          this.write();
        });
    }
  }

  private retryLater(): void {
    if (this.retry || this.stopped) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.reconcileAll();
    }, RETRY_MS);
    this.retry.unref();
  }
}
