import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../common/errors/error-codes';
import { MAX_HEADER_COUNT, tooManyHeaders } from '../common/header-limits';
import type { ApiKeys } from './api-keys';
import { declaresMoreThan } from './edge/body-limit';
import { Compression, pickCoding } from './edge/compression';
import type { HeaderValues } from './edge/header-rules';
import {
  clientAllowed,
  redirectLocation,
  ResponseEdge,
  rewritePath,
  RouteEdge,
} from './edge/route-edge';
import { upstreamHeaders } from './forward-headers';
import { authorityOf, gatewayPath, hostOf, PathRejection } from './request-target';
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
    /** A CORS route's headers for this origin: a browser may read the refusal (a 429, a 401). */
    readonly edge: ResponseEdge | null = null,
  ) {}
}

/** An answer the gateway gives itself without a body: a CORS preflight or a `redirect`. */
export class Reply {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly meter: RouteMeter,
  ) {}
}

const NO_HOST = new Refusal('VALIDATION_FAILED', 'missing or malformed Host header');
const TOO_MANY_HEADERS = new Refusal(
  'HEADERS_TOO_LARGE',
  `more than ${MAX_HEADER_COUNT} header fields`,
);
const NO_ROUTE = new Refusal('ROUTE_NOT_FOUND', 'no route matches this request');
const NEEDS_KEY_MESSAGE = 'this route needs a valid X-API-Key';

export interface Admission {
  match: RouteMatch<RouteRuntime>;
  method: string;
  /** Path and query as the backend gets them (after strip_prefix). */
  upstreamPath: string;
  headers: Record<string, string | string[]>;
  responseEdge: ResponseEdge | null;
  /** The route's max_body_size, for a body whose length nobody declared; null: no limit. */
  maxBodySize: number | null;
  /** The coding this request's answer may be compressed in; null: none. */
  compression: Compression | null;
}

export interface AdmissionRules {
  match(host: string, path: string, method: string): RouteMatch<RouteRuntime> | null;
  apiKeys: ApiKeys;
  /** https when the gateway port speaks TLS: what backends get in X-Forwarded-Proto. */
  proto: 'http' | 'https';
}

export function admit(
  req: IncomingMessage,
  clientIp: string,
  requestId: string,
  rules: AdmissionRules,
): Admission | Refusal | Reply {
  if (tooManyHeaders(req)) return TOO_MANY_HEADERS;
  const host = hostOf(req);
  if (host === null) return NO_HOST;
  const target = gatewayPath(req.url ?? '');
  if (target instanceof PathRejection) return new Refusal('VALIDATION_FAILED', target.reason);
  const method = req.method ?? 'GET';
  // A CORS preflight asks with OPTIONS about another method: a route of only that method is the
  // one it asks about.
  const asked = method === 'OPTIONS' ? preflightMethod(req) : null;
  let match = rules.match(host, target.path, method);
  if (!match && asked !== null) {
    match = rules.match(host, target.path, asked);
    if (match?.payload.edge?.cors == null) match = null;
  }
  if (!match) return NO_ROUTE;
  const { route, payload: runtime } = match;
  const edge = runtime.edge;
  if (edge !== null) {
    if (!clientAllowed(edge, clientIp))
      return refused(runtime, req, 'FORBIDDEN', 'this route is not open to your address');
    if (asked !== null && edge.cors !== null) {
      const requested = req.headers['access-control-request-headers'];
      return new Reply(
        204,
        edge.cors.preflightHeaders(
          req.headers.origin,
          typeof requested === 'string' ? requested : undefined,
        ),
        runtime.meter,
      );
    }
    if (edge.redirect !== null) {
      const location = redirectLocation(edge.redirect, { ...target, host });
      return new Reply(edge.redirect.status, { location }, runtime.meter);
    }
  }
  const permission = rules.apiKeys.check(route.permission, req.headers['x-api-key']);
  if (!permission.allowed) {
    return permission.status === 401
      ? refused(runtime, req, 'UNAUTHORIZED', NEEDS_KEY_MESSAGE)
      : refused(runtime, req, 'FORBIDDEN', `this API key lacks the permission ${route.permission}`);
  }
  if (runtime.limiter) {
    const decision = runtime.limiter.take(runtime.perIp ? clientIp : '*', Date.now());
    if (!decision.allowed) {
      return refused(runtime, req, 'RATE_LIMITED', 'rate limit of this route exceeded', {
        'retry-after': String(decision.retryAfterSec),
      });
    }
  }
  if (edge !== null && edge.maxBodySize !== null && declaresMoreThan(req, edge.maxBodySize)) {
    return refused(
      runtime,
      req,
      'PAYLOAD_TOO_LARGE',
      `the request body is larger than this route's max_body_size of ${edge.maxBodySize} bytes`,
      { connection: 'close' },
    );
  }
  let path = route.options.strip_prefix ? stripPrefix(target.path, match.prefixDepth) : target.path;
  if (edge?.rewrite) path = rewritePath(edge.rewrite, path);
  const headers = upstreamHeaders(req.headers, {
    clientIp,
    host: authorityOf(req) ?? host,
    proto: rules.proto,
    requestId,
    apiKeyName: permission.keyName,
  });
  const upstreamPath = path + target.query;
  // One object shape for every admitted request, edge or not, so the handler's reads stay monomorphic.
  if (edge === null)
    return {
      match,
      method,
      upstreamPath,
      headers,
      responseEdge: null,
      maxBodySize: null,
      compression: null,
    };
  const values: HeaderValues = {
    client_ip: clientIp,
    request_id: requestId,
    route: route.id,
    host,
  };
  edge.requestRules?.apply(headers, values);
  return {
    match,
    method,
    upstreamPath,
    headers,
    responseEdge: responseEdgeOf(edge, req, values),
    maxBodySize: edge.maxBodySize,
    compression: compressionOf(edge, req),
  };
}

/** The Access-Control-Request-Method of a preflight (with an Origin), upper-cased; else null. */
function preflightMethod(req: IncomingMessage): string | null {
  const asked = req.headers['access-control-request-method'];
  return typeof asked === 'string' &&
    req.headers.origin !== undefined &&
    /^[A-Za-z]{1,16}$/.test(asked)
    ? asked.toUpperCase()
    : null;
}

/** What the answer gets from the route: its response header rules and this origin's CORS headers. */
function responseEdgeOf(
  edge: RouteEdge,
  req: IncomingMessage,
  values: HeaderValues,
): ResponseEdge | null {
  if (edge.responseRules === null && edge.cors === null) return null;
  return {
    rules: edge.responseRules,
    values,
    cors: edge.cors?.answerHeaders(req.headers.origin) ?? null,
    varyOrigin: edge.cors?.varies ?? false,
  };
}

/** A matched route's refusal: counted in its series, with its CORS headers when it has them. */
function refused(
  runtime: RouteRuntime,
  req: IncomingMessage,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): Refusal {
  const edge = runtime.edge;
  return new Refusal(
    code,
    message,
    headers,
    runtime.meter,
    edge !== null ? corsEdgeOf(edge, req) : null,
  );
}

/** Only the CORS part of a route's response edge: what a refusal of a browser's request carries. */
function corsEdgeOf(edge: RouteEdge, req: IncomingMessage): ResponseEdge | null {
  const cors = edge.cors;
  if (cors === null) return null;
  return {
    rules: null,
    values: null,
    cors: cors.answerHeaders(req.headers.origin),
    varyOrigin: cors.varies,
  };
}

/** The coding of this answer on a route that compresses: by Accept-Encoding, never for HEAD. */
function compressionOf(edge: RouteEdge, req: IncomingMessage): Compression | null {
  const policy = edge.compression;
  if (policy === null || req.method === 'HEAD') return null;
  const coding = pickCoding(req.headers['accept-encoding']);
  return coding !== null ? { policy, coding } : null;
}

/** The path without the route's literal prefix (`strip_prefix`): `/api/users/42` less 1 → `/users/42`. */
export function stripPrefix(path: string, prefixDepth: number): string {
  const rest = path
    .split('/')
    .filter((s) => s.length > 0)
    .slice(prefixDepth);
  return '/' + rest.join('/');
}
