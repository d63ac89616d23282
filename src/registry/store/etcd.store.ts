import { Logger } from '@nestjs/common';
import type { Etcd3, IOperation } from 'etcd3';
import type { FleetService } from '../../fleet/fleet.service';
import { FollowedKey, KeyEvent, PrefixFollower } from '../../fleet/prefix-follower';
import { revisionOf } from '../../fleet/revision';
import { CHANGE_REASONS, ChangeReason } from '../../model/events';
import { upgradeRecord } from '../../model/check';
import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';
import {
  RegistrySnapshot,
  RegistryStore,
  StoreBatch,
  StoreChange,
  StoreConflictError,
  StoreFeed,
  StoreGuard,
  StoreUnavailableError,
} from './registry-store';
import { instanceKey, keysMovedBy, ROUTE_SET_KEY, routeStoreKey } from './store-keys';

/** Why the instances a transaction deletes went: a delete event carries no value of its own. */
const REMOVALS_KEY = 'removals';
/** `services/<type>`: its mod revision is the index of the service's last change. */
const SERVICES = 'services/';
/** Every transaction moves it: its mod revision is the registry's last change, one key to read. */
const LAST_CHANGE_KEY = 'last-change';
/** How often readiness asks etcd for a linearizable read (which needs a quorum). */
const PING_EVERY_MS = 1_000;

const REASONS: ReadonlySet<string> = new Set(CHANGE_REASONS);

type Compare = [string, 'Mod' | 'Value' | 'Lease', '==', string | number];

/**
 * STORE=etcd: the registry's keys under `<ETCD_PREFIX>registry/`, one JSON value per key, plain
 * keys (never tied to a lease: etcd renews lease TTLs on a leader change, so a lease is no clock).
 * A commit is one etcd transaction guarded by the mod revision of every key it writes and, for a
 * check's status, by this node's claim on the instance; the registry's memory follows a watch of
 * the prefix (PrefixFollower), this node's own writes included.
 */
export class EtcdRegistryStore implements RegistryStore {
  private readonly logger = new Logger(EtcdRegistryStore.name);
  private readonly client: Etcd3;
  private readonly base: string;
  private readonly follower: PrefixFollower;
  private feed: StoreFeed | null = null;
  /** What the follower read or saw before `follow` was called. */
  private first: RegistrySnapshot | null = null;
  private early: StoreBatch[] = [];
  private writable = true;
  private pinger: NodeJS.Timeout | null = null;
  /** The newest registry revision the last ping saw that the follower had not delivered yet. */
  private unseen: number | null = null;

  constructor(private readonly fleet: FleetService) {
    if (!fleet.client) throw new Error('STORE=etcd needs the fleet client');
    this.client = fleet.client;
    this.base = fleet.keys.registry;
    this.follower = new PrefixFollower(
      this.client,
      this.base,
      {
        snapshot: (entries, revision) => this.onSnapshot(entries, revision),
        events: (revision, events) => this.deliver({ revision, changes: this.changesOf(events) }),
      },
      (message) => this.logger.warn(message),
    );
  }

  async load(): Promise<RegistrySnapshot> {
    try {
      await this.follower.start();
    } catch (error) {
      throw new Error(`etcd does not answer at start: ${(error as Error).message}`);
    }
    this.pinger = setInterval(() => void this.ping_(), PING_EVERY_MS);
    this.pinger.unref();
    return this.first as RegistrySnapshot;
  }

  follow(feed: StoreFeed): void {
    this.feed = feed;
    for (const batch of this.early) feed.batch(batch);
    this.early = [];
  }

  async commit(
    changes: readonly StoreChange[],
    guards: readonly StoreGuard[],
    services: readonly string[],
  ): Promise<number> {
    const [first, ...rest] = this.compares(guards);
    // A commit always guards the keys it writes, so there is a first comparison to start from.
    if (!first) throw new Error('an unguarded commit');
    let txn = this.client.if(...first);
    for (const compare of rest) txn = txn.and(...compare);
    txn = txn.then(...this.operations(changes, services));
    try {
      const response = await txn.commit();
      this.writable = true;
      if (!response.succeeded) throw new StoreConflictError(revisionOf(response.header));
      return revisionOf(response.header);
    } catch (error) {
      if (error instanceof StoreConflictError) throw error;
      this.writable = false;
      throw new StoreUnavailableError(`etcd did not take the write: ${(error as Error).message}`);
    }
  }

  catchUp(): Promise<void> {
    return this.follower.resync();
  }

  ping(): boolean {
    return this.writable;
  }

  async close(): Promise<void> {
    this.writable = false;
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
    await this.follower.stop();
  }

  /**
   * A linearizable read (it needs a quorum) of the registry's last change. When the follower has
   * not delivered a revision the previous ping already saw, its watch is late (reconnecting after a
   * member went away can take seconds) and it reads everything instead: a node's memory is never
   * more than about two pings behind a reachable etcd, even when it writes nothing itself. One key:
   * etcd answers a range filtered or sorted by revision only after reading the whole prefix.
   */
  private async ping_(): Promise<void> {
    let newest: number;
    try {
      const response = await this.client.get(this.base + LAST_CHANGE_KEY).exec();
      newest = Number(response.kvs[0]?.mod_revision ?? 0);
      this.writable = this.pinger !== null;
    } catch {
      this.writable = false;
      return;
    }
    if (this.unseen !== null && this.follower.at < this.unseen) {
      this.logger.warn(
        `the etcd watch is late (at ${this.follower.at}, etcd at ${this.unseen}): reading`,
      );
      this.follower.resync().catch(() => {});
    }
    this.unseen = newest > this.follower.at ? newest : null;
  }

  /** Each guard as etcd comparisons; a check claim needs this node's live lease. */
  private compares(guards: readonly StoreGuard[]): Compare[] {
    const compares: Compare[] = [];
    for (const guard of guards) {
      if ('key' in guard) {
        compares.push([this.base + guard.key, 'Mod', '==', guard.revision]);
        continue;
      }
      const lease = this.fleet.currentLease;
      if (lease === null) throw new StoreConflictError(this.follower.at);
      const claim = this.fleet.keys.claim(guard.claim);
      compares.push([claim, 'Value', '==', this.fleet.nodeId], [claim, 'Lease', '==', lease]);
    }
    return compares;
  }

  private operations(changes: readonly StoreChange[], services: readonly string[]): IOperation[] {
    const ops: IOperation[] = [];
    const removals: Record<string, ChangeReason> = {};
    for (const change of changes) {
      switch (change.op) {
        case 'putInstance':
          ops.push(
            this.client
              .put(this.base + instanceKey(change.instance.id))
              .value(JSON.stringify({ reason: change.reason, instance: change.instance })),
          );
          break;
        case 'deleteInstance':
          ops.push(this.client.delete().key(this.base + instanceKey(change.id)));
          removals[change.id] = change.reason;
          break;
        case 'putRoute':
          ops.push(
            this.client
              .put(this.base + routeStoreKey(change.route.id))
              .value(JSON.stringify(change.route)),
          );
          break;
        case 'deleteRoute':
          ops.push(this.client.delete().key(this.base + routeStoreKey(change.id)));
          break;
      }
    }
    if (keysMovedBy(changes).includes(ROUTE_SET_KEY))
      ops.push(this.client.put(this.base + ROUTE_SET_KEY).value('{}'));
    if (Object.keys(removals).length > 0)
      ops.push(this.client.put(this.base + REMOVALS_KEY).value(JSON.stringify(removals)));
    // A key per service whose mod revision is the service's index, kept with the change itself.
    for (const service of services)
      ops.push(this.client.put(this.base + SERVICES + service).value('{}'));
    ops.push(this.client.put(this.base + LAST_CHANGE_KEY).value('{}'));
    return ops;
  }

  private onSnapshot(entries: FollowedKey[], revision: number): void {
    const snapshot: RegistrySnapshot = {
      instances: [],
      routes: [],
      index: revision,
      serviceIndexes: {},
      revisions: {},
      reasons: {},
    };
    for (const entry of entries) {
      if (entry.key.startsWith(SERVICES)) {
        snapshot.serviceIndexes[entry.key.slice(SERVICES.length)] = entry.modRevision;
        continue;
      }
      if (entry.key === ROUTE_SET_KEY) {
        // No record, but guarded: a node that started after routes existed must know its revision,
        // or every route change it decides conflicts until another node changes a route.
        snapshot.revisions[entry.key] = entry.modRevision;
        continue;
      }
      const parsed = this.parse(entry);
      if (!parsed) continue;
      if (parsed.op === 'putInstance') {
        snapshot.instances.push(parsed.instance);
        (snapshot.reasons as Record<string, ChangeReason>)[parsed.instance.id] = parsed.reason;
      } else if (parsed.op === 'putRoute') {
        snapshot.routes.push(parsed.route);
      }
      snapshot.revisions[entry.key] = entry.modRevision;
    }
    if (!this.first) {
      this.first = snapshot;
      return;
    }
    this.early = [];
    this.feed?.reset(snapshot);
  }

  private deliver(batch: StoreBatch): void {
    if (this.feed) this.feed.batch(batch);
    else this.early.push(batch);
  }

  private changesOf(events: KeyEvent[]): StoreChange[] {
    let removals: Record<string, string> = {};
    for (const event of events) {
      if (event.type === 'put' && event.entry.key === REMOVALS_KEY) {
        removals = parseJson(event.entry.value) as Record<string, string>;
      }
    }
    const changes: StoreChange[] = [];
    for (const event of events) {
      if (event.type === 'put') {
        const change = this.parse(event.entry);
        if (change) changes.push(change);
        continue;
      }
      const [kind, id] = splitKey(event.key);
      if (kind === 'instances' && id) {
        const reason = removals?.[id];
        changes.push({
          op: 'deleteInstance',
          id,
          reason: REASONS.has(reason as string) ? (reason as ChangeReason) : 'deregistration',
        });
      } else if (kind === 'routes' && id) {
        changes.push({ op: 'deleteRoute', id });
      }
    }
    return changes;
  }

  /** One stored key as a change; null for a key that is not a record (or that no Waypost wrote). */
  private parse(entry: FollowedKey): StoreChange | null {
    const [kind, id] = splitKey(entry.key);
    if (!id) return null;
    const value = parseJson(entry.value) as Record<string, unknown> | null;
    if (!value || typeof value !== 'object') {
      this.logger.warn(`ignoring ${entry.key}: not JSON`);
      return null;
    }
    if (kind === 'instances') {
      const instance = value.instance as InstanceRecord | undefined;
      if (!instance || instance.id !== id) return null;
      const reason = REASONS.has(value.reason as string)
        ? (value.reason as ChangeReason)
        : 'registration';
      return { op: 'putInstance', instance: upgradeRecord(instance), reason };
    }
    if (kind === 'routes') {
      const route = value as unknown as RouteRecord;
      return route.id === id ? { op: 'putRoute', route } : null;
    }
    return null;
  }
}

function splitKey(key: string): [string, string | undefined] {
  const slash = key.indexOf('/');
  return slash < 0 ? [key, undefined] : [key.slice(0, slash), key.slice(slash + 1) || undefined];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
