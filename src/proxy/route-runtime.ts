import { FixedWindowRateLimiter } from '../auth/rate-limiter';
import { RouteRecord } from '../model/route';
import { Balancer, createBalancer, toUpstream, Upstream } from './balancers';
import { CircuitBreakers } from './circuit-breaker';
import { compileEdge, RouteEdge } from './edge/route-edge';
import type { RouteMeter } from './route-meter';

/**
 * undici times headers and bodies with its coarse timers, which fire up to about a second late:
 * fine for 30 s, not for 300 ms. A route timeout under this is timed by the gateway itself.
 */
export const COARSE_TIMER_FLOOR_MS = 10_000;

/**
 * What a route needs at request time, built once when the route arrives in the table (never on a
 * request): its balancer, rate limiter, circuit breakers, and for a route to one backend URL that
 * backend. A changed route gets a new runtime; an unchanged config route keeps its own.
 */
export interface RouteRuntime {
  balancer: Balancer;
  limiter: FixedWindowRateLimiter | null;
  perIp: boolean;
  /** For a route to one backend URL: that backend, always the one candidate. */
  fixedBackend: readonly [Upstream] | null;
  /** The service whose UP instances take the traffic, for a service route. */
  service: string | null;
  breakers: CircuitBreakers | null;
  /** The route's timeout, or the gateway's default. */
  timeoutMs: number;
  /** The same when it is under COARSE_TIMER_FLOOR_MS (timed by UpstreamCall); else 0 (undici's). */
  preciseTimeoutMs: number;
  /** Attempts per request: 1 unless the route retries. */
  attempts: number;
  extraHeaders: Readonly<Record<string, string>>;
  /** CORS, header rules, redirect, rewrite, body limit, client CIDRs; null when it uses none. */
  edge: RouteEdge | null;
  meter: RouteMeter;
}

/** No extra headers: one frozen object for every route without `headers` and every refusal. */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export function buildRouteRuntime(
  route: RouteRecord,
  defaults: { zone: string | null; timeoutMs: number },
  meter: RouteMeter,
): RouteRuntime {
  const { rate_limit: limit, circuit_breaker: breaker, retry } = route.options;
  const timeoutMs = route.options.timeout ?? defaults.timeoutMs;
  return {
    balancer: createBalancer(route.options.load_balancer, defaults.zone),
    limiter: limit?.enabled ? new FixedWindowRateLimiter(limit.requests_per_min, 60_000) : null,
    perIp: limit?.per_ip ?? true,
    breakers: breaker?.enabled
      ? new CircuitBreakers(breaker.failure_threshold, breaker.timeout)
      : null,
    fixedBackend:
      'backend' in route.target
        ? [toUpstream({ id: route.id, url: route.target.backend, weight: 1, zone: null })]
        : null,
    service: 'service' in route.target ? route.target.service : null,
    timeoutMs,
    preciseTimeoutMs: timeoutMs < COARSE_TIMER_FLOOR_MS ? timeoutMs : 0,
    attempts: retry?.enabled ? retry.max_attempts : 1,
    extraHeaders: route.options.headers ?? NO_HEADERS,
    edge: compileEdge(route),
    meter,
  };
}
