import { toRouteSpec } from '../registry/routes/route-spec';
import { RouteInput } from '../registry/routes/route-spec';
import { RouteOrigin, RouteRecord } from '../registry/routes/route.model';
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

  it('looks up 10,000 routes by walking the path, not the list', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => route({ path: `/svc${i}/api/*` }));
    const big = new RouteTable(many);
    expect(big.match('h', '/svc9999/api/x', 'GET')?.route.path).toBe('/svc9999/api/*');
    expect(big.match('h', '/nope/api/x', 'GET')).toBeNull();
  });
});
