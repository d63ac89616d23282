import { anInstanceRecord } from '../../test/factories';
import { InstanceRecord, InstanceStatus } from '../model/instance';
import { InstanceCheck } from '../model/check';
import { RegistryState } from './registry-state';
import { toRouteSpec } from '../model/route-spec';
import { RouteRecord } from '../model/route';

function route(id: string, path: string, owners: string[]): RouteRecord {
  return {
    ...toRouteSpec({ path }, { service: 'shop' }),
    id,
    origin: 'service',
    owners,
    registeredAt: '',
  };
}

describe(RegistryState.name, () => {
  it('finds the routes an instance owns as owners come and go', () => {
    const state = new RegistryState();
    state.apply([
      { op: 'putRoute', route: route('r1', '/cart', ['a']) },
      { op: 'putRoute', route: route('r2', '/pay', ['a', 'b']) },
    ]);
    const owned = (id: string) => state.routesOwnedBy(id).map((r) => r.id);
    expect(owned('a')).toEqual(['r1', 'r2']);
    expect(owned('b')).toEqual(['r2']);

    // b leaves r2, which keeps its path under a new record
    state.apply([{ op: 'putRoute', route: route('r2', '/pay', ['a']) }]);
    expect(owned('b')).toEqual([]);
    expect(owned('a')).toEqual(['r1', 'r2']);

    state.apply([{ op: 'deleteRoute', id: 'r1' }]);
    expect(owned('a')).toEqual(['r2']);
    state.apply([{ op: 'deleteRoute', id: 'r2' }]);
    expect(owned('a')).toEqual([]);
    expect(owned('nobody')).toEqual([]);
  });

  it('finds the instance a registration replaces without a scan, by service, origin and URL', () => {
    const state = new RegistryState();
    const base = { serviceType: 'shop', url: 'http://10.0.0.1:80', origin: 'service' } as const;
    const a = anInstanceRecord({ ...base, id: 'a' });
    const internal = anInstanceRecord({
      ...base,
      id: 'i',
      origin: 'internal',
      url: 'http://10.0.0.9:80',
    });
    state.apply([
      { op: 'putInstance', instance: a, reason: 'registration' },
      { op: 'putInstance', instance: internal, reason: 'registration' },
    ]);
    expect(state.instanceLike(base)?.id).toBe('a');
    expect(state.instanceLike({ ...base, url: 'http://10.0.0.2:80' })).toBeUndefined();
    // One internal instance per service, whatever its URL.
    expect(state.instanceLike({ ...base, origin: 'internal', url: 'http://x' })?.id).toBe('i');
    // Moved to another service type: found there, not here.
    state.apply([
      { op: 'putInstance', instance: { ...a, serviceType: 'cart' }, reason: 'registration' },
    ]);
    expect(state.instanceLike(base)).toBeUndefined();
    expect(state.instanceLike({ ...base, serviceType: 'cart' })?.id).toBe('a');
    state.apply([{ op: 'deleteInstance', id: 'a', reason: 'deregistration' }]);
    expect(state.instanceLike({ ...base, serviceType: 'cart' })).toBeUndefined();
  });

  it('finds the instance a check belongs to until the instance or the check goes', () => {
    const state = new RegistryState();
    const withChecks = (ids: string[]) =>
      anInstanceRecord({
        id: 'web1',
        serviceType: 'web',
        origin: 'consul',
        url: 'http://h',
        checks: ids.map((id) => ({ id }) as InstanceCheck),
      });
    state.apply([{ op: 'putInstance', instance: withChecks(['a', 'b']), reason: 'registration' }]);
    expect(state.instanceWithCheck('b')?.id).toBe('web1');
    state.apply([{ op: 'putInstance', instance: withChecks(['a']), reason: 'registration' }]);
    expect(state.instanceWithCheck('b')).toBeUndefined();
    expect(state.instanceWithCheck('a')?.id).toBe('web1');
    state.apply([{ op: 'deleteInstance', id: 'web1', reason: 'deregistration' }]);
    expect(state.instanceWithCheck('a')).toBeUndefined();
  });

  it('keeps one copy of the parts records have alike, however they came in', () => {
    const state = new RegistryState();
    const bare = (id: string) =>
      anInstanceRecord({ id, url: `http://h/${id}`, tags: [], metadata: {}, checks: [] });
    state.apply(
      ['a', 'b'].map((id) => ({
        op: 'putInstance' as const,
        instance: bare(id),
        reason: 'registration' as const,
      })),
    );
    const [a, b] = ['a', 'b'].map((id) => state.instances.get(id) as InstanceRecord);
    expect(a.tags).toBe(b.tags);
    expect(a.metadata).toBe(b.metadata);
    expect(a.checks).toBe(b.checks);
  });

  it("counts each service type's instances by status, service types sorted", () => {
    const state = new RegistryState();
    const instance = (id: string, serviceType: string, status: InstanceStatus) =>
      anInstanceRecord({ id, serviceType, status, url: `http://h/${id}`, origin: 'service' });
    state.apply(
      [
        instance('1', 'shop', 'UP'),
        instance('2', 'shop', 'DOWN'),
        instance('3', 'shop', 'UP'),
        instance('4', 'cart', 'MAINTENANCE'),
      ].map((i) => ({ op: 'putInstance' as const, instance: i, reason: 'registration' as const })),
    );
    expect([...state.statusCounts()]).toEqual([
      ['cart', { UNKNOWN: 0, UP: 0, DOWN: 0, MAINTENANCE: 1, total: 1 }],
      ['shop', { UNKNOWN: 0, UP: 2, DOWN: 1, MAINTENANCE: 0, total: 3 }],
    ]);
  });
});

describe('RegistryState: DOWN instances', () => {
  const record = (id: string, status: InstanceStatus) =>
    anInstanceRecord({ id, serviceType: 'web', origin: 'service', url: `http://${id}`, status });
  const down = (state: RegistryState) => state.downInstances().map((instance) => instance.id);

  it('follows each instance into and out of DOWN, and out of the registry', () => {
    const state = new RegistryState();
    state.apply([
      { op: 'putInstance', instance: record('a', 'UP'), reason: 'registration' },
      { op: 'putInstance', instance: record('b', 'DOWN'), reason: 'registration' },
    ]);
    expect(down(state)).toEqual(['b']);
    state.apply([{ op: 'putInstance', instance: record('a', 'DOWN'), reason: 'check' }]);
    expect(down(state).sort()).toEqual(['a', 'b']);
    // The record kept is the latest one: a check's bookkeeping replaces it without a status move.
    const later = { ...record('a', 'DOWN'), consecutiveFailures: 9 } as InstanceRecord;
    state.apply([{ op: 'putInstance', instance: later, reason: 'check' }]);
    expect(state.downInstances().find((instance) => instance.id === 'a')).toBe(later);
    state.apply([
      { op: 'putInstance', instance: record('b', 'UP'), reason: 'check' },
      { op: 'deleteInstance', id: 'a', reason: 'deregistration' },
    ]);
    expect(down(state)).toEqual([]);
  });
});
