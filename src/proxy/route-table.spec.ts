import { toRouteSpec } from '../model/route-spec';
import { RouteInput } from '../model/route-spec';
import { RouteOrigin, RouteRecord } from '../model/route';
import { RouteTable } from './route-table';

let ids = 0;
function route(input: RouteInput, origin: RouteOrigin = 'register'): RouteRecord {
  return {
    ...toRouteSpec(input, { backend: 'http://b' }),
    id: `r${++ids}`,
    origin,
    owners: [],
    registeredAt: '',
  };
}

describe(RouteTable.name, () => {
  const table = new RouteTable([
    route({ path: '/v2' }),
    route({ host: 'api.example.com', path: '/v2' }),
    route({ host: '*.example.com', path: '/v2' }),
    route({ path: '/api/comments/*', method: 'GET' }),
    route({ path: '/api/comments/*' }),
    route({ path: '/api/comments/*/reply' }),
    route({ path: '/api/comments/latest' }),
    route({ path: '/only-post', method: 'POST' }),
  ]);
  const match = (host: string, path: string, method = 'GET') =>
    table.match(host, path, method)?.route;

  it('matches a path prefix on segment boundaries only', () => {
    expect(match('x.org', '/v2')?.path).toBe('/v2');
    expect(match('x.org', '/v2/users/7')?.path).toBe('/v2');
    expect(match('x.org', '/v2x')).toBeUndefined();
  });

  it('prefers an exact host to a wildcard host to any host', () => {
    expect(match('api.example.com', '/v2/x')?.host).toBe('api.example.com');
    expect(match('www.example.com', '/v2/x')?.host).toBe('*.example.com');
    expect(match('example.com', '/v2/x')?.host).toBeNull();
  });

  it('lets * take exactly one segment and a trailing /* one or more', () => {
    expect(match('h', '/api/comments/1/reply')?.path).toBe('/api/comments/*/reply');
    expect(match('h', '/api/comments/1/reply/2')?.path).toBe('/api/comments/*');
    expect(match('h', '/api/comments')).toBeUndefined();
  });

  it('prefers more literal segments, then a method-specific route', () => {
    expect(match('h', '/api/comments/latest')?.path).toBe('/api/comments/latest');
    expect(match('h', '/api/comments/9', 'GET')?.methods).toEqual(['GET']);
    expect(match('h', '/api/comments/9', 'DELETE')?.methods).toBeNull();
  });

  it('answers no route when no route accepts the method', () => {
    expect(match('h', '/only-post', 'GET')).toBeUndefined();
    expect(match('h', '/only-post', 'POST')?.path).toBe('/only-post');
  });

  it('reports the literal prefix depth for strip_prefix', () => {
    expect(table.match('h', '/api/comments/9', 'GET')?.prefixDepth).toBe(2);
    expect(table.match('h', '/v2/a', 'GET')?.prefixDepth).toBe(1);
  });

  it('puts config routes before registered ones when all else is equal', () => {
    const registered = route({ path: '/same' });
    const configured = route({ path: '/same' }, 'config');
    expect(new RouteTable([registered, configured]).match('h', '/same', 'GET')?.route.id).toBe(
      configured.id,
    );
  });

  it('adds, replaces and removes routes one at a time', () => {
    const live = new RouteTable();
    const general = route({ path: '/shop/*' });
    const specific = route({ host: 'a.example.com', path: '/shop/cart' });
    const wild = route({ host: '*.example.com', path: '/shop/*' });
    for (const r of [general, specific, wild]) live.add(r);
    const at = (host: string, path: string) => live.match(host, path, 'GET')?.route.id;
    expect(at('a.example.com', '/shop/cart')).toBe(specific.id);
    expect(at('b.example.com', '/shop/cart')).toBe(wild.id);
    expect(at('b.org', '/shop/cart')).toBe(general.id);

    live.add({ ...specific, path: '/shop/basket' });
    expect(at('a.example.com', '/shop/cart')).toBe(wild.id);
    expect(at('a.example.com', '/shop/basket')).toBe(specific.id);
    expect(live.size).toBe(3);

    live.remove(wild.id);
    expect(at('b.example.com', '/shop/cart')).toBe(general.id);
    live.remove(specific.id);
    live.remove(general.id);
    live.remove('never-there');
    expect(at('a.example.com', '/shop/basket')).toBeUndefined();
    expect(live.size).toBe(0);
    expect({ ...live, nextRank: 0 }).toEqual({ ...new RouteTable(), nextRank: 0 });
  });

  it('prunes what a removed route alone needed, and keeps what others still use', () => {
    const live = new RouteTable();
    const deep = route({ path: '/a/*/c/d' });
    const shallow = route({ path: '/a/*/c', method: 'GET' });
    live.add(deep);
    live.add(shallow);
    live.remove(deep.id);
    expect(live.match('h', '/a/1/c', 'GET')?.route.id).toBe(shallow.id);
    expect(live.match('h', '/a/1/c/d', 'GET')).toBeNull();
    live.remove(shallow.id);
    // An emptied table is a new one but for its rank counter: no node, map or group left behind.
    expect({ ...live, nextRank: 0 }).toEqual({ ...new RouteTable(), nextRank: 0 });
  });

  it('keeps a replaced route in its place among equally specific routes', () => {
    const first = route({ path: '/same' });
    const second = route({ path: '/same' });
    const live = new RouteTable([first, second]);
    live.add({ ...first, options: { timeout: 5 } });
    expect(live.match('h', '/same', 'GET')?.route.id).toBe(first.id);
  });

  it('looks up 10,000 routes by walking the path, not the list', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => route({ path: `/svc${i}/api/*` }));
    const big = new RouteTable(many);
    expect(big.match('h', '/svc9999/api/x', 'GET')?.route.path).toBe('/svc9999/api/*');
    expect(big.match('h', '/nope/api/x', 'GET')).toBeNull();
  });
});
