/** The stored shape of a service instance. Pure types; the token itself is never kept, only its hash. */

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
  /** For ttl checks: how long a heartbeat keeps the instance UP. */
  ttl: number | null;
}

/** How the instance came: POST /service, or /internal/register-service (one instance per service). */
export type InstanceOrigin = 'service' | 'internal';

export interface InstanceRecord {
  id: string;
  serviceType: string;
  host: string;
  port: number;
  url: string;
  status: InstanceStatus;
  healthCheck: HealthCheckSpec;
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
  consecutiveSuccesses: number;
  responseTimeMs: number | null;
  lastError: string | null;
  /** Set once STOP_CHECKS_AFTER failures in a row were seen; cleared by a heartbeat or re-registration. */
  checksStopped: boolean;
  downSince: string | null;
  tokenHash: string;
  origin: InstanceOrigin;
}

/** Builds the URL of an instance from host and port, bracketing IPv6 literals. */
export function instanceUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
