import type { IncomingMessage } from 'node:http';
import type { RouteRecord } from '../../src/model/route';
import { toRouteSpec } from '../../src/model/route-spec';
import type { ApiKeySpec } from '../../src/config/settings';
import { AdmissionRules } from '../../src/proxy/admission';
import { ApiKeys } from '../../src/proxy/api-keys';
import { RouteMeter } from '../../src/proxy/route-meter';
import { buildRouteRuntime, RouteRuntime } from '../../src/proxy/route-runtime';
import { RouteTable } from '../../src/proxy/route-table';
import { Telemetry } from '../../src/telemetry/telemetry';

/** Admission's rules over a real route table of service routes, for the gateway's pure specs. */

export type RouteInput = Parameters<typeof toRouteSpec>[0];

export function serviceRoute(input: RouteInput, id: string): RouteRecord {
  return {
    ...toRouteSpec(input, { service: 'users' }),
    id,
    origin: 'service',
    owners: [],
    registeredAt: '',
  };
}

export function rulesFor(routes: RouteRecord[], apiKeys: ApiKeySpec[] = []): AdmissionRules {
  const telemetry = new Telemetry();
  const table = new RouteTable<RouteRuntime>(routes, (route) =>
    buildRouteRuntime(
      route,
      { zone: null, timeoutMs: 30_000 },
      new RouteMeter(telemetry, route.id),
    ),
  );
  return {
    match: (host: string, path: string, method: string) => table.match(host, path, method),
    apiKeys: new ApiKeys(apiKeys),
    proto: 'http',
  };
}

/** The parts of a request admission reads, with Host api.example.com unless given. */
export function gatewayRequest(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): IncomingMessage {
  const all = { host: 'api.example.com', ...headers };
  return {
    url,
    method,
    headers: all,
    rawHeaders: Object.entries(all).flat(),
  } as unknown as IncomingMessage;
}
