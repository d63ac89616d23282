import { normalizeRoutePath } from './route-pattern';
import {
  CompressionOptions,
  CorsOptions,
  HeaderRules,
  RedirectStatus,
  RouteOptions,
  RouteSpec,
  RouteTarget,
} from './route';

type WithDefaults =
  | 'rate_limit'
  | 'circuit_breaker'
  | 'retry'
  | 'cors'
  | 'request_headers'
  | 'response_headers'
  | 'redirect'
  | 'compression';

/** The validated input fields a route spec is built from (DTOs and the config file alike). */
export interface RouteInput extends Omit<RouteOptions, WithDefaults> {
  rate_limit?: Partial<NonNullable<RouteOptions['rate_limit']>>;
  circuit_breaker?: Partial<NonNullable<RouteOptions['circuit_breaker']>>;
  retry?: Partial<NonNullable<RouteOptions['retry']>>;
  cors?: Partial<CorsOptions> & { origins: string[] };
  request_headers?: Partial<HeaderRules>;
  response_headers?: Partial<HeaderRules>;
  redirect?: { to: string; status?: RedirectStatus };
  /** `true`: compress with the defaults. */
  compression?: boolean | Partial<CompressionOptions>;
  path: string;
  host?: string;
  method?: string;
  methods?: string[];
  permission?: string;
}

const RATE_LIMIT_DEFAULTS = { enabled: true, requests_per_min: 60, per_ip: true };
const CIRCUIT_BREAKER_DEFAULTS = { enabled: true, failure_threshold: 5, timeout: 30_000 };
const RETRY_DEFAULTS = { enabled: true, max_attempts: 3, backoff: 'exponential' as const };
const CORS_DEFAULTS = {
  methods: null,
  headers: null,
  expose_headers: [],
  credentials: false,
  max_age: null,
};
const HEADER_RULES_DEFAULTS = { set: {}, add: {}, remove: [] };
/** A temporary redirect unless told otherwise: a cached 301 is hard to take back. */
const REDIRECT_DEFAULT_STATUS: RedirectStatus = 302;

/** What is worth compressing: text, and the structured formats sent as text. */
export const COMPRESSIBLE_TYPES = [
  'text/*',
  'application/json',
  'application/javascript',
  'application/xml',
  'application/problem+json',
  'application/ld+json',
  'image/svg+xml',
];
/** Below about 1 KiB the gzip header and the CPU cost more than they save. */
const COMPRESSION_DEFAULTS: CompressionOptions = { min_size: 1024, types: COMPRESSIBLE_TYPES };

/** A plain copy without undefined fields, so spreading it never erases a default. */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function normalizeMethods(input: RouteInput): string[] | null {
  const all = [...(input.method ? [input.method] : []), ...(input.methods ?? [])];
  if (all.length === 0) return null;
  return [...new Set(all.map((m) => m.toUpperCase()))].sort();
}

/** Builds the canonical spec: lower-case host, normalised path, sorted methods, options apart. */
export function toRouteSpec(input: RouteInput, target: RouteTarget): RouteSpec {
  const { path, host, method: _m, methods: _ms, permission, ...rest } = input;
  const options = {} as RouteOptions;
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  }
  // Nested option objects get their defaults here, once, so every reader sees complete settings.
  if (rest.rate_limit) options.rate_limit = { ...RATE_LIMIT_DEFAULTS, ...defined(rest.rate_limit) };
  if (rest.circuit_breaker) {
    options.circuit_breaker = { ...CIRCUIT_BREAKER_DEFAULTS, ...defined(rest.circuit_breaker) };
  }
  if (rest.retry) options.retry = { ...RETRY_DEFAULTS, ...defined(rest.retry) };
  if (rest.cors)
    options.cors = { ...CORS_DEFAULTS, ...defined(rest.cors), origins: rest.cors.origins };
  if (rest.request_headers)
    options.request_headers = { ...HEADER_RULES_DEFAULTS, ...defined(rest.request_headers) };
  if (rest.response_headers)
    options.response_headers = { ...HEADER_RULES_DEFAULTS, ...defined(rest.response_headers) };
  if (rest.redirect)
    options.redirect = {
      to: rest.redirect.to,
      status: rest.redirect.status ?? REDIRECT_DEFAULT_STATUS,
    };
  if (rest.compression === false) delete options.compression;
  else if (rest.compression)
    options.compression = {
      ...COMPRESSION_DEFAULTS,
      ...(rest.compression === true ? {} : defined(rest.compression)),
    };
  return {
    host: host ? host.toLowerCase() : null,
    path: normalizeRoutePath(path),
    methods: normalizeMethods(input),
    target,
    permission: permission ?? null,
    options,
  };
}
