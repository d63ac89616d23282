import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anInstanceRecord } from '../../../test/factories';
import {
  StoreBatch,
  StoreChange,
  StoreConflictError,
  StoreUnavailableError,
} from './registry-store';
import { SqliteRegistryStore } from './sqlite.store';
import { instanceKey } from './store-keys';

function put(id: string, serviceType = 'users'): StoreChange {
  return {
    op: 'putInstance',
    instance: anInstanceRecord({ id, serviceType }),
    reason: 'registration',
  };
}

describe('the sqlite store (group commit)', () => {
  let dir: string;
  let store: SqliteRegistryStore;
  let fed: StoreBatch[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'waypost-sqlite-spec-'));
    store = new SqliteRegistryStore(dir);
    fed = [];
    await store.load();
    store.follow({ batch: (batch) => fed.push(batch), reset: () => undefined });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers the commits of one turn in order and resolves none before the turn ends', async () => {
    const settled: number[] = [];
    const first = store.commit([put('a')], [{ key: instanceKey('a'), revision: 0 }], ['users']);
    const second = store.commit([put('b')], [{ key: instanceKey('b'), revision: 0 }], ['orders']);
    void first.then((revision) => settled.push(revision));
    await Promise.resolve();
    expect([settled, fed]).toEqual([[], []]);
    await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
    expect(fed.map((batch) => batch.revision)).toEqual([1, 2]);
    const reopened = new SqliteRegistryStore(dir);
    const snapshot = await reopened.load();
    await reopened.close();
    expect(snapshot.instances.map((instance) => instance.id)).toEqual(['a', 'b']);
    expect(snapshot).toMatchObject({ index: 2, serviceIndexes: { users: 1, orders: 2 } });
  });

  it('refuses alone the second of two decisions on the same key in one turn', async () => {
    const guard = [{ key: instanceKey('a'), revision: 0 }];
    const first = store.commit([put('a')], guard, ['users']);
    const second = store.commit([put('a', 'orders')], guard, ['orders']);
    const third = store.commit([put('c')], [{ key: instanceKey('c'), revision: 0 }], ['users']);
    await expect(first).resolves.toBe(1);
    await expect(second).rejects.toBeInstanceOf(StoreConflictError);
    await expect(third).resolves.toBe(2);
    // Decided again on revision 1, as the registry does after a conflict: it passes.
    await expect(
      store.commit([put('a', 'orders')], [{ key: instanceKey('a'), revision: 1 }], ['orders']),
    ).resolves.toBe(3);
  });

  it('sees a delete earlier in the turn: the key is back at 0 for the next decision', async () => {
    await store.commit([put('a')], [{ key: instanceKey('a'), revision: 0 }], ['users']);
    const removed = store.commit(
      [{ op: 'deleteInstance', id: 'a', reason: 'deregistration' }],
      [{ key: instanceKey('a'), revision: 1 }],
      ['users'],
    );
    const again = store.commit([put('a')], [{ key: instanceKey('a'), revision: 0 }], ['users']);
    await expect(Promise.all([removed, again])).resolves.toEqual([2, 3]);
  });

  it('writes nothing of a turn whose transaction fails, and refuses every commit in it', async () => {
    const good = store.commit([put('a')], [], ['users']);
    // A record the table refuses (service_type is NOT NULL) fails the transaction midway.
    const bad = store.commit([put('b', null as unknown as string)], [], ['users']);
    await expect(good).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(bad).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(fed).toEqual([]);
    expect(store.ping()).toBe(true);
    const snapshot = await store.load();
    expect([snapshot.instances, snapshot.index]).toEqual([[], 0]);
    await expect(store.commit([put('c')], [], ['users'])).resolves.toBe(1);
  });

  it('answers what is waiting when it closes, and refuses commits after', async () => {
    const pending = store.commit([put('a')], [], ['users']);
    await store.close();
    await expect(pending).resolves.toBe(1);
    await expect(store.commit([put('b')], [], ['users'])).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});
