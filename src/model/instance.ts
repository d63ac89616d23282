/** The stored shape of a service instance. Pure types; the token itself is never kept, only its hash. */
import type { InstanceCheck } from './check';

export const INSTANCE_STATUSES = ['UNKNOWN', 'UP', 'DOWN', 'MAINTENANCE'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const CHECK_TYPES = ['http', 'tcp', 'ttl', 'none'] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

export interface HealthCheckSpec {
  type: CheckType;
  /** Path of an http check. */
  path: string;
  /** Per-instance overrides of HEALTH_CHECK_INTERVAL / HEALTH_CHECK_TIMEOUT; null means the default. */
  interval: number | null;
  timeout: number | null;
  /** For ttl checks: how long a heartbeat keeps the instance UP (DEFAULT_TTL_MS when not given). */
  ttl: number | null;
}

/** A ttl check without its own ttl: three missed heartbeats at a 10 s rhythm. */
export const DEFAULT_TTL_MS = 30_000;

/** Where an http check looks when the registration names no path. */
export const DEFAULT_CHECK_PATH = '/health';

/** The check of a type with every field a registration may leave out at its default. */
export function defaultCheckSpec(type: CheckType): HealthCheckSpec {
  return {
    type,
    path: DEFAULT_CHECK_PATH,
    interval: null,
    timeout: null,
    ttl: type === 'ttl' ? DEFAULT_TTL_MS : null,
  };
}

/** How long a heartbeat keeps a ttl instance UP. */
export function ttlOf(check: Pick<HealthCheckSpec, 'ttl'>): number {
  return check.ttl ?? DEFAULT_TTL_MS;
}

/**
 * How the instance came: POST /service, /internal/register-service (one instance per service), or
 * Consul's agent API (the instance's id is the Consul service ID).
 */
export type InstanceOrigin = 'service' | 'internal' | 'consul';

export interface InstanceRecord {
  id: string;
  serviceType: string;
  host: string;
  port: number;
  url: string;
  status: InstanceStatus;
  /** The check the native API declares; a Consul registration shows its first check here. */
  healthCheck: HealthCheckSpec;
  /** Every check with its own status; the instance is UP only while all pass. */
  checks: readonly InstanceCheck[];
  /** Consul's DeregisterCriticalServiceAfter: overrides DEREGISTER_AFTER; null: the setting. */
  deregisterAfter: number | null;
  metadata: Readonly<Record<string, string>>;
  tags: readonly string[];
  version: string | null;
  zone: string | null;
  weight: number;
  registeredAt: string;
  lastCheckAt: string | null;
  lastSuccessAt: string | null;
  lastHeartbeatAt: string | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  responseTimeMs: number | null;
  lastError: string | null;
  /** Set once STOP_CHECKS_AFTER failures in a row were seen; cleared by a heartbeat or re-registration. */
  checksStopped: boolean;
  downSince: string | null;
  tokenHash: string;
  origin: InstanceOrigin;
}

/** An instance without a check has nothing to be checked by: no node needs to take it. */
export function needsChecker(instance: Pick<InstanceRecord, 'checks'>): boolean {
  return instance.checks.length > 0;
}

/** Builds the URL of an instance from host and port, bracketing IPv6 literals. */
export function instanceUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** What callers see of a check. */
export interface CheckView {
  id: string;
  name: string;
  type: InstanceCheck['type'];
  status: InstanceCheck['status'];
  output: string;
  lastCheckAt: string | null;
}

/** What callers see of an instance: every contract field, never the token hash. */
export type InstanceView = Omit<
  InstanceRecord,
  | 'tokenHash'
  | 'origin'
  | 'consecutiveSuccesses'
  | 'downSince'
  | 'checks'
  | 'deregisterAfter'
  | 'tags'
> & { checks: CheckView[]; tags: string[] };

export function toInstanceView(record: InstanceRecord): InstanceView {
  return {
    id: record.id,
    serviceType: record.serviceType,
    host: record.host,
    port: record.port,
    url: record.url,
    status: record.status,
    healthCheck: record.healthCheck,
    checks: record.checks.map((check) => ({
      id: check.id,
      name: check.name,
      type: check.type,
      status: check.status,
      output: check.output,
      lastCheckAt: check.lastCheckAt,
    })),
    metadata: record.metadata,
    // A view is serialised, never changed: the record's own (maybe shared, frozen) array goes out.
    tags: record.tags as string[],
    version: record.version,
    zone: record.zone,
    weight: record.weight,
    registeredAt: record.registeredAt,
    lastCheckAt: record.lastCheckAt,
    lastSuccessAt: record.lastSuccessAt,
    lastHeartbeatAt: record.lastHeartbeatAt,
    consecutiveFailures: record.consecutiveFailures,
    responseTimeMs: record.responseTimeMs,
    lastError: record.lastError,
    checksStopped: record.checksStopped,
  };
}

export type StatusCounts = Record<InstanceStatus, number> & { total: number };

/** How many of the instances are in each status, and in all. */
export function countByStatus(instances: Iterable<Pick<InstanceRecord, 'status'>>): StatusCounts {
  const counts = { UNKNOWN: 0, UP: 0, DOWN: 0, MAINTENANCE: 0, total: 0 };
  for (const instance of instances) {
    counts[instance.status]++;
    counts.total++;
  }
  return counts;
}
