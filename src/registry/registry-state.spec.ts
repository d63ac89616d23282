import { RegistryState } from './registry-state';
import { toRouteSpec } from './routes/route-spec';
import { RouteRecord } from './routes/route.model';

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
});
