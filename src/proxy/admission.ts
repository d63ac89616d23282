import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../common/errors/error-codes';
import type { ApiKeys } from './api-keys';
import { upstreamHeaders } from './forward-headers';
import { gatewayPath, hostOf, PathRejection } from './request-target';
import type { RouteMeter } from './route-meter';
import type { RouteMatch } from './route-table';
import type { RouteRuntime } from './route-runtime';

/**
 * Everything decided about a request before a backend is chosen: a sane target, a route, the API
 * key, a rate-limit token, the headers the backend gets. Pure: no Nest, no I/O.
 */

/** Why a request is answered by the gateway itself, with what status code and headers. */
export class Refusal {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    readonly headers?: Record<string, string>,
    /** The matched route's meter, so its refusals count in its series; null: no route matched. */
    readonly meter: RouteMeter | null = null,
  ) {}
}

const NO_HOST = new Refusal('VALIDATION_FAILED', 'missing or malformed Host header');
const NO_ROUTE = new Refusal('ROUTE_NOT_FOUND', 'no route matches this request');
const NEEDS_KEY_MESSAGE = 'this route needs a valid X-API-Key';

export interface Admission {
  match: RouteMatch<RouteRuntime>;
  method: string;
  /** Path and query as the backend gets them (after strip_prefix). */
  upstreamPath: string;
  headers: Record<string, string | string[]>;
}

export interface AdmissionRules {
  match(host: string, path: string, method: string): RouteMatch<RouteRuntime> | null;
  apiKeys: ApiKeys;
}

export function admit(
  req: IncomingMessage,
  clientIp: string,
  requestId: string,
  rules: AdmissionRules,
): Admission | Refusal {
  const host = hostOf(req);
  if (host === null) return NO_HOST;
  const target = gatewayPath(req.url ?? '');
  if (target instanceof PathRejection) return new Refusal('VALIDATION_FAILED', target.reason);
  const method = req.method ?? 'GET';
  const match = rules.match(host, target.path, method);
  if (!match) return NO_ROUTE;
  const { route, payload: runtime } = match;
  const permission = rules.apiKeys.check(route.permission, req.headers['x-api-key']);
  if (!permission.allowed) {
    return permission.status === 401
      ? new Refusal('UNAUTHORIZED', NEEDS_KEY_MESSAGE, undefined, runtime.meter)
      : new Refusal(
          'FORBIDDEN',
          `this API key lacks the permission ${route.permission}`,
          undefined,
          runtime.meter,
        );
  }
  if (runtime.limiter) {
    const decision = runtime.limiter.take(runtime.perIp ? clientIp : '*', Date.now());
    if (!decision.allowed) {
      return new Refusal(
        'RATE_LIMITED',
        'rate limit of this route exceeded',
        { 'retry-after': String(decision.retryAfterSec) },
        runtime.meter,
      );
    }
  }
  return {
    match,
    method,
    upstreamPath: route.options.strip_prefix
      ? stripPrefix(target.path, match.prefixDepth) + target.query
      : target.path + target.query,
    headers: upstreamHeaders(req.headers, {
      clientIp,
      host: req.headers.host ?? host,
      requestId,
      apiKeyName: permission.keyName,
    }),
  };
}

/** The path without the route's literal prefix (`strip_prefix`): `/api/users/42` less 1 → `/users/42`. */
export function stripPrefix(path: string, prefixDepth: number): string {
  const rest = path
    .split('/')
    .filter((s) => s.length > 0)
    .slice(prefixDepth);
  return '/' + rest.join('/');
}
