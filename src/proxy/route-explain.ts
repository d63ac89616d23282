import type { InstanceRecord } from '../model/instance';
import { hostMatches } from '../model/route-pattern';
import type { RouteRecord, RouteTarget } from '../model/route';
import { RouteView, toRouteView } from '../registry/route-view';
import type { ApiKeys } from './api-keys';
import type { PickContext, Upstream } from './balancers';
import { clientAllowed, redirectLocation } from './edge/route-edge';
import { gatewayPath, PathRejection } from './request-target';
import { RouteMatch, RouteTable } from './route-table';
import type { RouteRuntime } from './route-runtime';

/**
 * What the gateway would do with a request, without sending it or moving anything: the route table's
 * own match, every route that was considered and why it lost, the instances and why each is or is
 * not eligible, the balancer's next pick (`peek`), the permission and rate-limit verdicts, and the
 * answer. It runs the gateway's code — the same table, runtime, balancer, breakers, limiter and API
 * keys — so it cannot disagree with it. Pure: everything comes in through `ExplainSources`.
 */

export interface ExplainRequest {
  method: string;
  /** Lower-case host without port. */
  host: string;
  /** Path and query as the client would send them. */
  path: string;
  apiKey: string | undefined;
  clientIp: string;
}

export interface ExplainSources {
  routes: readonly RouteRecord[];
  match(host: string, path: string, method: string): RouteMatch<RouteRuntime> | null;
  /** The UP instances the gateway holds for a route (its candidates before breakers). */
  candidates(runtime: RouteRuntime): readonly Upstream[];
  instancesOf(service: string): readonly InstanceRecord[];
  apiKeys: ApiKeys;
  inFlight: PickContext['inFlight'];
  now: number;
}

export interface RouteCandidate {
  route: RouteView;
  matches: boolean;
  why: string;
}

export interface InstanceVerdict {
  id: string;
  url: string;
  status: string;
  eligible: boolean;
  why: string;
}

export interface Explanation {
  match: RouteView | null;
  candidates: RouteCandidate[];
  target: RouteTarget | null;
  /** What the route's edge options decide: the client's address, a redirect; null without them. */
  edge: { client_allowed: boolean; redirect: string | null } | null;
  instances: InstanceVerdict[];
  next: string | null;
  load_balancer: string | null;
  permission: { required: string | null; verdict: string };
  rate_limit: { limit: number; per_ip: boolean; remaining: number; allowed: boolean } | null;
  answer: 200 | 301 | 302 | 307 | 308 | 400 | 401 | 403 | 404 | 429 | 503;
}

/** At most this many routes are listed as candidates: the ones that match first. */
const MAX_CANDIDATES = 50;

const label = (route: Pick<RouteRecord, 'host' | 'path' | 'methods'>) =>
  `${route.host ?? '*'}${route.path}${route.methods ? ` [${route.methods.join(',')}]` : ''}`;

export function explainRoute(request: ExplainRequest, sources: ExplainSources): Explanation {
  const target = gatewayPath(request.path);
  const empty = {
    match: null,
    candidates: [],
    target: null,
    edge: null,
    instances: [],
    next: null,
    load_balancer: null,
    permission: { required: null, verdict: 'no route' },
    rate_limit: null,
  };
  if (target instanceof PathRejection) {
    return { ...empty, permission: { required: null, verdict: target.reason }, answer: 400 };
  }
  const winner = sources.match(request.host, target.path, request.method);
  const candidates = considered(request, target.path, sources.routes, winner?.route ?? null);
  if (!winner) return { ...empty, candidates, answer: 404 };

  const { route, payload: runtime } = winner;
  const permission = sources.apiKeys.check(route.permission, request.apiKey);
  const permissionVerdict = {
    required: route.permission,
    verdict:
      route.permission === null
        ? 'none required'
        : permission.allowed
          ? `allowed for key ${permission.keyName}`
          : permission.status === 401
            ? 'no valid X-API-Key'
            : `the key lacks ${route.permission}`,
  };
  const limit = route.options.rate_limit;
  const rate =
    runtime.limiter && limit
      ? {
          limit: limit.requests_per_min,
          per_ip: runtime.perIp,
          ...runtime.limiter.peek(runtime.perIp ? request.clientIp : '*', sources.now),
        }
      : null;
  const instances = verdicts(route, runtime, sources);
  const eligible = sources
    .candidates(runtime)
    .filter((u) => instances.some((i) => i.id === u.id && i.eligible));
  const next = runtime.balancer.peek(eligible, {
    clientIp: request.clientIp,
    inFlight: sources.inFlight,
  });
  const edge = runtime.edge;
  const clientAllowedHere = edge === null || clientAllowed(edge, request.clientIp);
  const redirect =
    edge?.redirect != null
      ? redirectLocation(edge.redirect, { ...target, host: request.host })
      : null;
  const answer = !clientAllowedHere
    ? 403
    : edge?.redirect != null
      ? edge.redirect.status
      : !permission.allowed
        ? permission.status
        : rate && !rate.allowed
          ? 429
          : eligible.length === 0
            ? 503
            : 200;
  return {
    match: toRouteView(route),
    candidates,
    target: route.target,
    edge: edge === null ? null : { client_allowed: clientAllowedHere, redirect },
    instances,
    next: next?.id ?? null,
    load_balancer: route.options.load_balancer ?? 'round_robin',
    permission: permissionVerdict,
    rate_limit: rate
      ? { limit: rate.limit, per_ip: rate.per_ip, remaining: rate.remaining, allowed: rate.allowed }
      : null,
    answer,
  };
}

/** Every route that shares the request's host or path, with why it lost to the winner. */
function considered(
  request: ExplainRequest,
  path: string,
  routes: readonly RouteRecord[],
  winner: RouteRecord | null,
): RouteCandidate[] {
  const result: RouteCandidate[] = [];
  for (const route of routes) {
    // Each question asked of a one-route table: the gateway's own matching, nothing re-implemented.
    const hostOk =
      route.host === null || route.host === request.host || hostMatches(route.host, request.host);
    const pathOk =
      new RouteTable([{ ...route, host: null, methods: null }]).match('', path, request.method) !==
      null;
    if (!hostOk && !pathOk) continue;
    const methodOk = route.methods === null || route.methods.includes(request.method);
    const matches = hostOk && pathOk && methodOk;
    const why =
      route === winner || route.id === winner?.id
        ? 'the most specific match'
        : !hostOk
          ? `host ${request.host} does not match ${route.host}`
          : !pathOk
            ? `path does not match ${route.path}`
            : !methodOk
              ? `method ${request.method} is not one of ${(route.methods ?? []).join(', ')}`
              : `less specific than ${winner ? label(winner) : 'the winner'}`;
    result.push({ route: toRouteView(route), matches, why });
  }
  result.sort((a, b) => Number(b.matches) - Number(a.matches));
  return result.slice(0, MAX_CANDIDATES);
}

/** Every instance of the route's target, and whether the gateway would send to it now. */
function verdicts(
  route: RouteRecord,
  runtime: RouteRuntime,
  sources: ExplainSources,
): InstanceVerdict[] {
  const breakers = runtime.breakers;
  const circuitOpen = (id: string) => breakers !== null && !breakers.available(id, sources.now);
  if (runtime.fixedBackend) {
    const [backend] = runtime.fixedBackend;
    const open = circuitOpen(backend.id);
    return [
      {
        id: backend.id,
        url: backend.url,
        status: 'BACKEND',
        eligible: !open,
        why: open ? 'circuit open' : "the route's backend URL",
      },
    ];
  }
  if (runtime.service === null) return [];
  return sources.instancesOf(runtime.service).map((instance) => {
    const open = instance.status === 'UP' && circuitOpen(instance.id);
    return {
      id: instance.id,
      url: instance.url,
      status: instance.status,
      eligible: instance.status === 'UP' && !open,
      why: open ? 'circuit open' : statusWhy(instance),
    };
  });
}

function statusWhy(instance: InstanceRecord): string {
  switch (instance.status) {
    case 'UP':
      return 'UP';
    case 'DOWN':
      return (
        `DOWN since ${instance.downSince ?? 'unknown'} after ${instance.consecutiveFailures} failed checks` +
        (instance.lastError ? ` (${instance.lastError})` : '')
      );
    case 'MAINTENANCE':
      return 'MAINTENANCE: drained by an operator';
    case 'UNKNOWN':
      return 'UNKNOWN: no check has passed yet';
  }
}
