/** What a route is, wherever it came from. Pure types: the registry stores them, the proxy compiles them. */

export const LOAD_BALANCERS = [
  'round_robin',
  'weighted',
  'least_connections',
  'random',
  'ip_hash',
  'zone',
] as const;
export type LoadBalancer = (typeof LOAD_BALANCERS)[number];

export const REDIRECT_STATUSES = [301, 302, 307, 308] as const;
export type RedirectStatus = (typeof REDIRECT_STATUSES)[number];

/** `cors`, with its defaults filled in; `max_age` in seconds, as Access-Control-Max-Age says it. */
export interface CorsOptions {
  /** Exact origins (`https://app.example.com`), `https://*.example.com`, or `*`. */
  origins: string[];
  /** Methods a preflight may ask for; null: the route's own, or the common ones. */
  methods: string[] | null;
  /** Request headers a preflight may ask for; null: whatever it asks for. */
  headers: string[] | null;
  expose_headers: string[];
  credentials: boolean;
  max_age: number | null;
}

/** `request_headers` / `response_headers`: values may hold `${client_ip}`, `${request_id}`, `${route}`, `${host}`. */
export interface HeaderRules {
  set: Record<string, string>;
  add: Record<string, string>;
  remove: string[];
}

export interface CompressionOptions {
  /** Answers smaller than this (by Content-Length) go out as they are. */
  min_size: number;
  /** Media types compressed: exact (`application/json`) or `text/*`. */
  types: string[];
}

/** Route options under the contract's own names; durations already in milliseconds. */
export interface RouteOptions {
  timeout?: number;
  websocket?: boolean;
  headers?: Record<string, string>;
  rate_limit?: { enabled: boolean; requests_per_min: number; per_ip: boolean };
  circuit_breaker?: { enabled: boolean; failure_threshold: number; timeout: number };
  retry?: { enabled: boolean; max_attempts: number; backoff: 'exponential' | 'fixed' };
  strip_prefix?: boolean;
  load_balancer?: LoadBalancer;
  cors?: CorsOptions;
  request_headers?: HeaderRules;
  response_headers?: HeaderRules;
  /** Answered by the gateway: `to` may hold `${path}`, `${query}` and `${host}`. */
  redirect?: { to: string; status: RedirectStatus };
  /** Applied to the path after matching and strip_prefix; the query is kept. */
  rewrite?: { pattern: string; replacement: string };
  /** Bytes. */
  max_body_size?: number;
  allow_from?: string[];
  deny_from?: string[];
  compression?: CompressionOptions;
  /** Accepted from `POST /register` options, as the seed registry took them. */
  health_check_path?: string;
  health_check_interval?: number;
}

/** Where a route sends its requests; `{ gateway: true }`: nowhere, the gateway answers (a `redirect`). */
export type RouteTarget = { service: string } | { backend: string } | { gateway: true };

export interface RouteSpec {
  /** Lower-case exact host, `*.suffix` wildcard, or null for any host. */
  host: string | null;
  path: string;
  /** Upper-case method names, sorted; null for every method. */
  methods: string[] | null;
  target: RouteTarget;
  permission: string | null;
  options: RouteOptions;
}

/** config: the config file; register: `POST /register`; service: brought by service instances. */
export type RouteOrigin = 'config' | 'register' | 'service';

export interface RouteRecord extends RouteSpec {
  id: string;
  origin: RouteOrigin;
  /** Instance ids that brought this route; it goes when the last of them goes. */
  owners: string[];
  registeredAt: string;
}

/** The identity of a route: two routes with one key answer exactly the same requests. */
export function routeKey(spec: Pick<RouteSpec, 'host' | 'path' | 'methods'>): string {
  return `${spec.host ?? '*'} ${spec.path} ${spec.methods ? spec.methods.join(',') : '*'}`;
}

export function targetService(target: RouteTarget): string | null {
  return 'service' in target ? target.service : null;
}

export function targetBackend(target: RouteTarget): string | null {
  return 'backend' in target ? target.backend : null;
}
