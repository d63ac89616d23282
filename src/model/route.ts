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
  /** Accepted from `POST /register` options, as the seed registry took them. */
  health_check_path?: string;
  health_check_interval?: number;
}

export type RouteTarget = { service: string } | { backend: string };

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
