import { RouteRecord } from '../model/route';
import { toRouteSpec } from '../model/route-spec';
import { ApiKeys } from './api-keys';
import { ExplainSources, explainRoute } from './route-explain';
import { RouteTable } from './route-table';
import { Telemetry } from '../telemetry/telemetry';
import { RouteMeter } from './route-meter';
import { buildRouteRuntime, RouteRuntime } from './route-runtime';

const telemetry = new Telemetry();

const record = (
  input: Parameters<typeof toRouteSpec>[0],
  backend: string,
  id: string,
): RouteRecord => ({
  ...toRouteSpec(input, { backend }),
  id,
  origin: 'register',
  owners: [],
  registeredAt: '',
});

function sources(routes: RouteRecord[]): ExplainSources & { table: RouteTable<RouteRuntime> } {
  const table = new RouteTable<RouteRuntime>(routes, (r) =>
    buildRouteRuntime(r, { zone: null, timeoutMs: 1000 }, new RouteMeter(telemetry, r.id)),
  );
  return {
    table,
    routes,
    match: (host, path, method) => table.match(host, path, method),
    candidates: (runtime) => runtime.fixedBackend ?? [],
    instancesOf: () => [],
    apiKeys: new ApiKeys([]),
    inFlight: () => 0,
    now: 1_000,
  };
}

const request = (path: string, host = 'api.example.com') => ({
  method: 'GET',
  host,
  path,
  apiKey: undefined,
  clientIp: '10.0.0.1',
});

describe('route explain', () => {
  const routes = [
    record({ host: 'api.example.com', path: '/v2' }, 'http://10.0.0.9:9000', 'exact'),
    record({ host: 'other.example.com', path: '/v2' }, 'http://10.0.0.8:9000', 'other-host'),
    record(
      { path: '/v2', circuit_breaker: { failure_threshold: 1 } },
      'http://10.0.0.7:9000',
      'any',
    ),
  ];

  it('says why each route lost: another host, or less specific', () => {
    const result = explainRoute(request('/v2/x'), sources(routes));
    expect(result.match?.id).toBe('exact');
    expect(result.target).toEqual({ backend: 'http://10.0.0.9:9000' });
    const why = Object.fromEntries(result.candidates.map((c) => [c.route.id, c.why]));
    expect(why).toEqual({
      exact: 'the most specific match',
      'other-host': 'host api.example.com does not match other.example.com',
      any: 'less specific than api.example.com/v2',
    });
    expect(result).toMatchObject({ next: 'exact', answer: 200 });
  });

  it("answers 503 with 'circuit open' when the one backend's circuit is open", () => {
    const s = sources(routes);
    const runtime = s.table.match('any.example.com', '/v2', 'GET')!.payload;
    runtime.breakers!.failure('any', 1_000);
    const result = explainRoute(request('/v2', 'any.example.com'), s);
    expect(result.match?.id).toBe('any');
    expect(result.instances).toEqual([
      expect.objectContaining({ id: 'any', eligible: false, why: 'circuit open' }),
    ]);
    expect(result).toMatchObject({ next: null, answer: 503 });
  });

  it('answers 400 for a path the gateway would refuse, 404 for one no route takes', () => {
    expect(explainRoute(request('/v2/%2e%2e/admin'), sources(routes)).answer).toBe(400);
    const miss = explainRoute(request('/v3'), sources(routes));
    expect(miss).toMatchObject({ match: null, answer: 404 });
  });
});
