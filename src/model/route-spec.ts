import { normalizeRoutePath } from './route-pattern';
import { RouteOptions, RouteSpec, RouteTarget } from './route';

/** The validated input fields a route spec is built from (DTOs and the config file alike). */
export interface RouteInput extends Omit<RouteOptions, 'rate_limit' | 'circuit_breaker' | 'retry'> {
  rate_limit?: Partial<NonNullable<RouteOptions['rate_limit']>>;
  circuit_breaker?: Partial<NonNullable<RouteOptions['circuit_breaker']>>;
  retry?: Partial<NonNullable<RouteOptions['retry']>>;
  path: string;
  host?: string;
  method?: string;
  methods?: string[];
  permission?: string;
}

const RATE_LIMIT_DEFAULTS = { enabled: true, requests_per_min: 60, per_ip: true };
const CIRCUIT_BREAKER_DEFAULTS = { enabled: true, failure_threshold: 5, timeout: 30_000 };
const RETRY_DEFAULTS = { enabled: true, max_attempts: 3, backoff: 'exponential' as const };

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
  return {
    host: host ? host.toLowerCase() : null,
    path: normalizeRoutePath(path),
    methods: normalizeMethods(input),
    target,
    permission: permission ?? null,
    options,
  };
}
