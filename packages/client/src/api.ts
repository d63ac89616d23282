/**
 * The registry API's wire shapes (../shared/CONTRACT.md), defined here once: the SDK uses them, and
 * the server's DTO classes implement them (`implements RegisterInput`, `implements Instance`), so
 * `npm run typecheck` fails when the two drift apart.
 */
export type InstanceStatus = 'UNKNOWN' | 'UP' | 'DOWN' | 'MAINTENANCE';
export type CheckType = 'http' | 'tcp' | 'ttl' | 'none';

export interface HealthCheckInput {
  /** `http` when not given. */
  type?: CheckType;
  path?: string;
  interval?: string | number;
  timeout?: string | number;
  ttl?: string | number;
}

export type LoadBalancing =
  'round_robin' | 'weighted' | 'least_connections' | 'random' | 'ip_hash' | 'zone';

/** A route's options, beside its path (`POST /service` routes) or under `options` (`POST /register`). */
export interface RouteOptionsInput {
  timeout?: string | number;
  websocket?: boolean;
  headers?: Record<string, string>;
  rate_limit?: { enabled?: boolean; requests_per_min?: number; per_ip?: boolean };
  circuit_breaker?: { enabled?: boolean; failure_threshold?: number; timeout?: string | number };
  retry?: { enabled?: boolean; max_attempts?: number; backoff?: 'exponential' | 'fixed' };
  strip_prefix?: boolean;
  load_balancer?: LoadBalancing;
  permission?: string;
  cors?: {
    origins: string[];
    methods?: string[];
    headers?: string[];
    expose_headers?: string[];
    credentials?: boolean;
    max_age?: number;
  };
  request_headers?: HeaderRulesInput;
  response_headers?: HeaderRulesInput;
  redirect?: { to: string; status?: 301 | 302 | 307 | 308 };
  rewrite?: { pattern: string; replacement: string };
  max_body_size?: number | string;
  allow_from?: string[];
  deny_from?: string[];
  compression?: boolean | { min_size?: number | string; types?: string[] };
}

/** Values may hold `${client_ip}`, `${request_id}`, `${route}` and `${host}`. */
export interface HeaderRulesInput {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface RouteInput extends RouteOptionsInput {
  path: string;
  host?: string;
  method?: string;
  methods?: string[];
}

export interface RegisterInput {
  serviceType: string;
  port?: number;
  host?: string;
  url?: string;
  healthCheck?: HealthCheckInput;
  metadata?: Record<string, string>;
  tags?: string[];
  version?: string;
  zone?: string;
  weight?: number;
  routes?: RouteInput[];
}

/** One of an instance's checks, with Consul's statuses: the instance is UP while all pass. */
export interface InstanceCheck {
  id: string;
  name: string;
  type: 'http' | 'tcp' | 'ttl';
  status: 'passing' | 'warning' | 'critical';
  output: string;
  lastCheckAt: string | null;
}

export interface Instance {
  id: string;
  serviceType: string;
  host: string;
  port: number;
  url: string;
  status: InstanceStatus;
  healthCheck: {
    type: CheckType;
    path: string;
    interval: number | null;
    timeout: number | null;
    ttl: number | null;
  };
  checks: InstanceCheck[];
  metadata: Record<string, string>;
  tags: string[];
  version: string | null;
  zone: string | null;
  weight: number;
  registeredAt: string;
  lastCheckAt: string | null;
  lastSuccessAt: string | null;
  lastHeartbeatAt: string | null;
  consecutiveFailures: number;
  responseTimeMs: number | null;
  lastError: string | null;
  checksStopped: boolean;
}

/** `POST /service` answers the instance with its id and its token (shown only then). */
export interface Registration extends Instance {
  serviceId: string;
  token: string;
}

/** `GET /services/:type`, and each event of its watch. */
export interface ServiceInstances {
  serviceType: string;
  instances: Instance[];
  index?: number;
}
