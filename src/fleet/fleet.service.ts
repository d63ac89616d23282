import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Etcd3, Lease } from 'etcd3';
import { serverConfig, storeConfig } from '../config/config.namespaces';
import { FleetKeys } from './fleet-keys';
import { FollowedKey, KeyEvent, PrefixFollower } from './prefix-follower';

/** What changed in the fleet: its members, or the check claims of some instances. */
export interface FleetChange {
  nodes: boolean;
  claims: readonly string[];
}

export interface Claim {
  node: string;
  lease: string;
}

/** Failed live traffic one node saw, for the node that checks the instance. */
export interface TrafficReport {
  instanceId: string;
  node: string;
  error: string;
  /** Failures since the reporter's last report (at least 1; at most MAX_REPORTED_FAILURES count). */
  failures: number;
}

/** More failures in one report add nothing: the unhealthy threshold is reached long before. */
const MAX_REPORTED_FAILURES = 100;

const REJOIN_MIN_MS = 250;
const REJOIN_MAX_MS = 5_000;

/**
 * This node in the fleet: the one etcd client, the node's membership (a key tied to a lease of
 * NODE_TTL, renewed by keep-alives; revoked on shutdown so the others take its checks at once),
 * the members and check claims everyone holds (followed under `fleet/`), and keys every node
 * shares. With STORE other than etcd there is no fleet: this node is all of it.
 */
@Injectable()
export class FleetService
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(FleetService.name);
  readonly nodeId: string;
  /** The etcd client, or null on a single node. */
  readonly client: Etcd3 | null;
  readonly keys: FleetKeys;
  private lease: Lease | null = null;
  private leaseId: string | null = null;
  private readonly nodes = new Set<string>();
  /** Instance id → the node whose claim it is, and the lease the claim is tied to. */
  private readonly claims = new Map<string, Claim>();
  private readonly claimsPerNode = new Map<string, number>();
  private readonly follower: PrefixFollower | null;
  private readonly changeListeners: ((change: FleetChange) => void)[] = [];
  private readonly reportListeners: ((report: TrafficReport) => void)[] = [];
  private leaving = false;
  private rejoinMs = REJOIN_MIN_MS;

  constructor(
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
    @Inject(storeConfig.KEY) store: ConfigType<typeof storeConfig>,
  ) {
    this.nodeId = server.nodeId;
    this.keys = new FleetKeys(store.etcd.prefix);
    this.client = store.kind === 'etcd' ? loadEtcdClient().createEtcdClient(store.etcd) : null;
    this.follower = this.client
      ? new PrefixFollower(
          this.client,
          this.keys.fleet,
          {
            snapshot: (entries) => this.onSnapshot(entries),
            events: (_revision, events) => this.onEvents(events),
          },
          (message) => this.logger.warn(message),
        )
      : null;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  async onModuleInit(): Promise<void> {
    if (!this.client || !this.follower) return;
    await this.join();
    await this.follower.start();
    this.logger.log(`node ${this.nodeId} joined a fleet of ${this.nodes.size}`);
  }

  /** SIGTERM: the membership and every claim of this node go now, so its checks move at once. */
  async beforeApplicationShutdown(): Promise<void> {
    this.leaving = true;
    const lease = this.lease;
    this.lease = null;
    this.leaseId = null;
    if (lease) await lease.revoke().catch(() => lease.release());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.follower?.stop();
    this.client?.close();
  }

  /** The live members, sorted; on a single node, this node. */
  liveNodes(): string[] {
    return this.enabled ? [...this.nodes].sort() : [this.nodeId];
  }

  /** The lease this node's claims are tied to, while it has one. */
  get currentLease(): string | null {
    return this.leaseId;
  }

  claimOf(instanceId: string): Claim | undefined {
    return this.claims.get(instanceId);
  }

  /** True when this node holds the instance's claim under the lease it has now. */
  holds(instanceId: string): boolean {
    const claim = this.claims.get(instanceId);
    return claim !== undefined && claim.node === this.nodeId && claim.lease === this.leaseId;
  }

  /** Every member with how many instances it checks. */
  summary(localChecks: number): { id: string; checks: number }[] {
    if (!this.enabled) return [{ id: this.nodeId, checks: localChecks }];
    return this.liveNodes().map((id) => ({ id, checks: this.claimsPerNode.get(id) ?? 0 }));
  }

  onChange(listener: (change: FleetChange) => void): void {
    this.changeListeners.push(listener);
  }

  onTrafficReport(listener: (report: TrafficReport) => void): void {
    this.reportListeners.push(listener);
  }

  /**
   * A key every node shares (a generated registration or admin key): created once, by whichever
   * node comes first; the others take what it wrote.
   */
  async sharedSecret(name: string, generate: () => string): Promise<string> {
    const client = this.requireClient();
    const key = this.keys.secret(name);
    const candidate = generate();
    const result = await client
      .if(key, 'Create', '==', 0)
      .then(client.put(key).value(candidate))
      .else(client.get(key))
      .commit();
    if (result.succeeded) return candidate;
    const kv = result.responses[0]?.response_range?.kvs[0];
    if (!kv) throw new Error(`etcd holds no ${name} and would not take one`);
    return kv.value.toString();
  }

  private requireClient(): Etcd3 {
    if (!this.client) throw new Error('no fleet without STORE=etcd');
    return this.client;
  }

  /** Takes a lease of NODE_TTL and writes this node's membership under it. */
  private async join(): Promise<void> {
    const client = this.requireClient();
    const lease = client.lease(Math.max(2, Math.ceil(this.server.nodeTtlMs / 1000)));
    lease.on('lost', (error: Error) => {
      if (this.lease !== lease || this.leaving) return;
      this.logger.warn(`fleet membership lost (${error.message}); joining again`);
      this.lease = null;
      this.leaseId = null;
      this.notify({ nodes: true, claims: [] });
      this.rejoin();
    });
    this.lease = lease;
    this.leaseId = await lease.grant();
    await lease
      .put(this.keys.node(this.nodeId))
      .value(JSON.stringify({ id: this.nodeId, joinedAt: new Date().toISOString() }));
    this.rejoinMs = REJOIN_MIN_MS;
  }

  private rejoin(): void {
    if (this.leaving) return;
    const wait = this.rejoinMs;
    this.rejoinMs = Math.min(REJOIN_MAX_MS, this.rejoinMs * 2);
    setTimeout(() => {
      if (this.leaving) return;
      this.join()
        .then(() => this.notify({ nodes: true, claims: [] }))
        .catch((error: Error) => {
          this.logger.warn(`could not join the fleet yet: ${error.message}`);
          this.lease = null;
          this.leaseId = null;
          this.rejoin();
        });
    }, wait).unref();
  }

  private onSnapshot(entries: FollowedKey[]): void {
    const before = new Map(this.claims);
    this.nodes.clear();
    this.claims.clear();
    this.claimsPerNode.clear();
    // Reports in a snapshot are old news: only a report as it is written counts.
    for (const entry of entries) this.take(entry, false);
    const changed = new Set<string>([...before.keys(), ...this.claims.keys()]);
    this.notify({
      nodes: true,
      claims: [...changed].filter((id) => before.get(id)?.node !== this.claims.get(id)?.node),
    });
  }

  private onEvents(events: KeyEvent[]): void {
    let nodes = false;
    const claims: string[] = [];
    for (const event of events) {
      const key = event.type === 'put' ? event.entry.key : event.key;
      const parsed = this.keys.parseFleetKey(key);
      if (!parsed) continue;
      if (parsed.kind === 'node') nodes = true;
      if (parsed.kind === 'claim') claims.push(parsed.id);
      if (event.type === 'put') this.take(event.entry);
      else if (parsed.kind === 'node') this.nodes.delete(parsed.id);
      else if (parsed.kind === 'claim') this.setClaim(parsed.id, undefined);
    }
    if (nodes || claims.length > 0) this.notify({ nodes, claims });
  }

  private take(entry: FollowedKey, live = true): void {
    const parsed = this.keys.parseFleetKey(entry.key);
    if (!parsed) return;
    if (parsed.kind === 'node') this.nodes.add(parsed.id);
    else if (parsed.kind === 'claim')
      this.setClaim(parsed.id, { node: entry.value, lease: entry.lease });
    else if (parsed.kind === 'report' && live) this.report(parsed.id, entry.value);
  }

  private report(instanceId: string, value: string): void {
    try {
      const { node, error, failures } = JSON.parse(value) as Partial<TrafficReport>;
      if (typeof node !== 'string' || typeof error !== 'string' || node === this.nodeId) return;
      const count = Number.isSafeInteger(failures)
        ? Math.min(Math.max(failures as number, 1), MAX_REPORTED_FAILURES)
        : 1;
      for (const listener of this.reportListeners)
        listener({ instanceId, node, error: error.slice(0, 256), failures: count });
    } catch {
      // Not ours: a key under the prefix that no Waypost wrote.
    }
  }

  private setClaim(instanceId: string, claim: Claim | undefined): void {
    const before = this.claims.get(instanceId);
    if (before) this.claimsPerNode.set(before.node, (this.claimsPerNode.get(before.node) ?? 1) - 1);
    if (claim) {
      this.claims.set(instanceId, claim);
      this.claimsPerNode.set(claim.node, (this.claimsPerNode.get(claim.node) ?? 0) + 1);
    } else {
      this.claims.delete(instanceId);
    }
  }

  private notify(change: FleetChange): void {
    for (const listener of this.changeListeners) listener(change);
  }
}

/**
 * etcd3 and gRPC are loaded only for a fleet: on a single node they would cost some 15 MiB of
 * memory for nothing.
 */
function loadEtcdClient(): typeof import('./etcd-client') {
  return require('./etcd-client') as typeof import('./etcd-client'); // eslint-disable-line @typescript-eslint/no-require-imports
}
