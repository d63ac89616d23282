import { anInstanceRecord } from '../../../test/factories';
import { MemoryRegistryStore } from './memory.store';
import { StoreBatch, StoreConflictError } from './registry-store';
import { instanceKey, keysMovedBy, KeyRevisions, ROUTE_SET_KEY } from './store-keys';

const route = { id: 'r1', host: null, path: '/a', methods: null } as never;

describe('store keys and revisions', () => {
  it('moves the route set with every route change, and deleted keys back to 0', () => {
    const put = {
      op: 'putInstance' as const,
      instance: anInstanceRecord(),
      reason: 'registration' as const,
    };
    expect(keysMovedBy([put])).toEqual(['instances/i1']);
    expect(keysMovedBy([put, { op: 'putRoute', route }])).toEqual([
      'instances/i1',
      'routes/r1',
      ROUTE_SET_KEY,
    ]);
    const revisions = new KeyRevisions();
    revisions.record([put, { op: 'putRoute', route }], 7);
    expect([revisions.of('instances/i1'), revisions.of(ROUTE_SET_KEY)]).toEqual([7, 7]);
    revisions.record([{ op: 'deleteInstance', id: 'i1', reason: 'deregistration' }], 8);
    expect(revisions.of('instances/i1')).toBe(0);
    expect(revisions.allHold([{ key: 'instances/i1', revision: 0 }, { claim: 'i1' }])).toBe(true);
    expect(revisions.allHold([{ key: ROUTE_SET_KEY, revision: 6 }])).toBe(false);
  });
});

describe('a single-node store (memory)', () => {
  it('numbers commits, hands each to the feed before it resolves, and refuses a stale guard whole', async () => {
    const store = new MemoryRegistryStore();
    const seen: StoreBatch[] = [];
    await store.load();
    store.follow({ batch: (b) => seen.push(b), reset: () => undefined });
    const instance = anInstanceRecord();
    const put = { op: 'putInstance' as const, instance, reason: 'registration' as const };
    const first = store.commit([put], [{ key: instanceKey('i1'), revision: 0 }], ['users']);
    expect(seen.map((b) => b.revision)).toEqual([1]);
    await expect(first).resolves.toBe(1);
    // Decided on revision 0 of a key now at 1: nothing is written, nothing is fed.
    await expect(
      store.commit([put], [{ key: instanceKey('i1'), revision: 0 }], ['users']),
    ).rejects.toBeInstanceOf(StoreConflictError);
    expect(seen).toHaveLength(1);
    expect((await store.load()).index).toBe(1);
    await expect(
      store.commit([put], [{ key: instanceKey('i1'), revision: 1 }], ['users']),
    ).resolves.toBe(2);
    const snapshot = await store.load();
    expect(snapshot).toMatchObject({ index: 2, serviceIndexes: { users: 2 } });
    expect(snapshot.revisions).toEqual({ [instanceKey('i1')]: 2 });
  });
});
