import 'reflect-metadata';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { anInstanceInput } from '../../test/factories';
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
    const settings = parseSettings({
      env: { STORE: 'memory', DATA_DIR: '/nonexistent' },
      file: {},
    });
    store = new LateFeedStore();
    const moduleRef = await Test.createTestingModule({
      imports: [configModuleFor(settings), EventEmitterModule.forRoot()],
      providers: [RegistryService, { provide: REGISTRY_STORE, useValue: store }],
    }).compile();
    await moduleRef.init();
    registry = moduleRef.get(RegistryService);
  });

  it('reads the store before it answers a write the feed has not brought', async () => {
    const { instance, token } = await registry.register(anInstanceInput(), []);
    expect(store.catchUps).toBeGreaterThan(0);
    // What the answer said exists is there for the next request: its token works.
    expect(registry.getInstance(instance.id)).toEqual(instance);
    expect(registry.verify(instance.id, token)).toBe(true);
  });

  it('answers 503 rather than a write this node cannot show, when the store cannot be read', async () => {
    store.readable = false;
    const started = Date.now();
    await expect(registry.register(anInstanceInput(), [])).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    // The feed's second, then two seconds of reads tried again.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(store.catchUps).toBeGreaterThan(1);
    expect(registry.instancesOf('users')).toEqual([]);
  }, 10_000);
});
