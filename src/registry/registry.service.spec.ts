import 'reflect-metadata';
import { anInstanceInput } from '../../test/factories';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test, TestingModule } from '@nestjs/testing';
import { hashSecret } from '../auth/keys';
import { configModuleFor } from '../config/config.namespaces';
import { parseSettings } from '../config/settings.schema';
import { RegistryService } from './registry.service';
import { MemoryRegistryStore } from './store/memory.store';
import {
  REGISTRY_STORE,
  RegistrySnapshot,
  RegistryStore,
  StoreBatch,
  StoreChange,
  StoreFeed,
  StoreGuard,
} from './store/registry-store';

const input = anInstanceInput;
const pass = { kind: 'probe' as const, outcome: { ok: true, responseTimeMs: 3, error: null } };
const fail = {
  kind: 'probe' as const,
  outcome: { ok: false, responseTimeMs: 9, error: 'HTTP 500' },
};

/** The registry on `store`, with its event bus, started. */
async function registryOn(store: RegistryStore): Promise<TestingModule> {
  const settings = parseSettings({
    env: {
      STORE: 'memory',
      DATA_DIR: '/nonexistent',
      UNHEALTHY_THRESHOLD: '2',
      DEREGISTER_AFTER: '1s',
    },
    file: {},
  });
  const moduleRef = await Test.createTestingModule({
    imports: [configModuleFor(settings), EventEmitterModule.forRoot()],
    providers: [RegistryService, { provide: REGISTRY_STORE, useValue: store }],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

/** The registry with its real store (memory) and event bus: what it commits and what it announces. */
describe(RegistryService.name, () => {
  let registry: RegistryService;
  let store: MemoryRegistryStore;
  let events: EventEmitter2;
  let seen: { name: string; payload: Record<string, unknown> }[];

  beforeEach(async () => {
    store = new MemoryRegistryStore();
    const moduleRef = await registryOn(store);
    registry = moduleRef.get(RegistryService);
    events = moduleRef.get(EventEmitter2);
    seen = [];
    events.onAny((name, payload) => seen.push({ name: String(name), payload }));
  });

  const names = () => seen.map((e) => e.name);
  const stored = async (id: string) => (await store.load()).instances.find((i) => i.id === id);

  it('announces a registration once, and a re-registration as an update of the same id', async () => {
    const { instance } = await registry.register(input(), []);
    expect(names()).toEqual(['instance.registered']);
    expect(seen[0].payload).toMatchObject({ reason: 'registration' });
    seen = [];
    const again = await registry.register(input({ tags: ['v2'] }), []);
    expect(again.instance.id).toBe(instance.id);
    expect(names()).toEqual(['instance.updated']);
    expect(seen[0].payload).toMatchObject({ reason: 'registration', statusChange: null });
  });

  it('keeps a passed check that changes no status in memory: announced as a check, not stored', async () => {
    const { instance } = await registry.register(input(), []);
    await registry.applyCheck(instance.id, pass);
    seen = [];
    const slower = { kind: 'probe' as const, outcome: { ...pass.outcome, responseTimeMs: 7 } };
    const after = await registry.applyCheck(instance.id, slower);
    expect(names()).toEqual(['healthCheckPassed']);
    expect(after?.responseTimeMs).toBe(7);
    expect(registry.getInstance(instance.id)).toBe(after);
    // The store holds the record of the last durable change: UNKNOWN -> UP, at 3 ms.
    expect(await stored(instance.id)).toMatchObject({ status: 'UP', responseTimeMs: 3 });
  });

  it('stores and announces a status change once, with its reason', async () => {
    const { instance } = await registry.register(input(), []);
    await registry.applyCheck(instance.id, pass);
    seen = [];
    await registry.applyCheck(instance.id, fail);
    await registry.applyCheck(instance.id, fail);
    expect(names()).toEqual([
      'healthCheckFailed',
      'instance.updated',
      'instanceStatusChanged',
      'healthCheckFailed',
    ]);
    expect(seen[2].payload).toMatchObject({ from: 'UP', to: 'DOWN', reason: 'check' });
    expect((await stored(instance.id))?.status).toBe('DOWN');
  });

  it('takes failed live traffic as failures with reason traffic', async () => {
    const { instance } = await registry.register(input(), []);
    await registry.applyCheck(instance.id, pass);
    seen = [];
    for (let i = 0; i < 2; i++)
      await registry.applyCheck(instance.id, { kind: 'traffic', error: 'ECONNREFUSED' });
    const change = seen.find((e) => e.name === 'instanceStatusChanged');
    expect(change?.payload).toMatchObject({ to: 'DOWN', reason: 'traffic' });
    expect(registry.getInstance(instance.id).lastError).toBe('live traffic: ECONNREFUSED');
  });

  it("names the report's own reason when it stops the checks without a status change", async () => {
    const { instance } = await registry.register(input(), []);
    for (let i = 0; i < 9; i++)
      await registry.applyCheck(instance.id, { kind: 'traffic', error: 'ECONNRESET' });
    seen = [];
    await registry.applyCheck(instance.id, { kind: 'traffic', error: 'ECONNRESET' });
    const updated = seen.find((e) => e.name === 'instance.updated');
    expect(updated?.payload).toMatchObject({ reason: 'traffic', statusChange: null });
    expect(registry.getInstance(instance.id).checksStopped).toBe(true);
  });

  it('answers a heartbeat with the state after it, announced once', async () => {
    const ttl = { type: 'ttl' as const, path: '/health', interval: null, timeout: null, ttl: 1 };
    const { instance } = await registry.register(input({ healthCheck: ttl }), []);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await registry.applyCheck(instance.id, { kind: 'ttl' });
    expect(registry.getInstance(instance.id).status).toBe('DOWN');
    seen = [];
    const answered = await registry.heartbeat(instance.id);
    expect(answered.status).toBe('UP');
    expect(registry.getInstance(instance.id)).toBe(answered);
    expect(names()).toEqual(['instance.updated', 'instanceStatusChanged']);
    expect(seen[1].payload).toMatchObject({ from: 'DOWN', to: 'UP', reason: 'heartbeat' });
  });

  it('removes instances DOWN for DEREGISTER_AFTER, with reason deregister_after', async () => {
    const { instance } = await registry.register(input(), []);
    await registry.applyCheck(instance.id, fail);
    await registry.applyCheck(instance.id, fail);
    seen = [];
    expect(await registry.deregisterLongDown(Date.now() + 500)).toBe(0);
    expect(await registry.deregisterLongDown(Date.now() + 1_000)).toBe(1);
    expect(names()).toEqual(['instance.removed']);
    expect(seen[0].payload).toMatchObject({ reason: 'deregister_after' });
    expect(registry.instancesById(instance.id)).toBeUndefined();
  });

  it('changes nothing and announces nothing when the store refuses the commit', async () => {
    const { instance } = await registry.register(input(), []);
    await store.close();
    seen = [];
    await expect(
      registry.register(input({ port: 3001, url: 'http://127.0.0.1:3001' }), []),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(
      registry.patchInstance(instance.id, { status: 'MAINTENANCE' }),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(registry.instancesOf('users')).toHaveLength(1);
    expect(registry.getInstance(instance.id).status).toBe('UNKNOWN');
    expect(seen).toEqual([]);
  });
});

/**
 * A store whose feed is late, as an etcd watch is while it reconnects: commits succeed, but their
 * batches reach the registry only when it asks the store to catch up — and not at all while the
 * store cannot be read.
 */
class LateFeedStore implements RegistryStore {
  readonly inner = new MemoryRegistryStore();
  readable = true;
  catchUps = 0;
  private held: StoreBatch[] = [];
  private feed: StoreFeed | null = null;

  load(): Promise<RegistrySnapshot> {
    return this.inner.load();
  }

  follow(feed: StoreFeed): void {
    this.feed = feed;
    this.inner.follow({ batch: (batch) => this.held.push(batch), reset: (s) => feed.reset(s) });
  }

  commit(changes: readonly StoreChange[], guards: readonly StoreGuard[], services: string[]) {
    return this.inner.commit(changes, guards, services);
  }

  catchUp(): Promise<void> {
    this.catchUps++;
    if (!this.readable) return Promise.reject(new Error('no quorum'));
    for (const batch of this.held.splice(0)) this.feed?.batch(batch);
    return Promise.resolve();
  }

  ping(): boolean {
    return true;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('RegistryService with a late feed', () => {
  let registry: RegistryService;
  let store: LateFeedStore;

  beforeEach(async () => {
    store = new LateFeedStore();
    registry = (await registryOn(store)).get(RegistryService);
  });

  it('reads the store before it answers a write the feed has not brought', async () => {
    const { instance, token } = await registry.register(input(), []);
    expect(store.catchUps).toBeGreaterThan(0);
    // What the answer said exists is there for the next request: its token works.
    expect(registry.getInstance(instance.id)).toEqual(instance);
    expect(registry.tokenHashOf(instance.id, token)).toBe(instance.tokenHash);
  });

  it("refuses a token another node's re-registration replaced, though this node had not seen it", async () => {
    const { instance, token } = await registry.register(input(), []);
    // Another node registers the same instance again: a fresh token, which this feed holds back.
    const replaced = { ...instance, tokenHash: hashSecret('the later token') };
    await store.inner.commit(
      [{ op: 'putInstance', instance: replaced, reason: 'registration' }],
      [],
      [instance.serviceType],
    );
    const held = registry.tokenHashOf(instance.id, token) ?? undefined;
    expect(held).toBe(instance.tokenHash); // what the guard sees here

    for (const write of [
      () => registry.heartbeat(instance.id, held),
      () => registry.patchInstance(instance.id, { weight: 5 }, held),
      () => registry.removeInstance(instance.id, 'deregistration', held),
    ]) {
      await expect(write()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
    // The later registration stands, untouched.
    expect(registry.getInstance(instance.id)).toEqual(replaced);
    // The admin key holds no token: its write is decided again on the newer record and goes in.
    await expect(registry.heartbeat(instance.id)).resolves.toMatchObject({ id: instance.id });
  });

  it('answers 503 rather than a write this node cannot show, when the store cannot be read', async () => {
    store.readable = false;
    const started = Date.now();
    await expect(registry.register(input(), [])).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    // The feed's second, then two seconds of reads tried again.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(store.catchUps).toBeGreaterThan(1);
    expect(registry.instancesOf('users')).toEqual([]);
  }, 10_000);
});
