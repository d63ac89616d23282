import { countByStatus, InstanceRecord } from '../model/instance';

/** One service as `GET /health` shows it: UP while any instance is UP. */
export interface ServiceHealth {
  status: 'UP' | 'DOWN' | 'UNKNOWN';
  url: string | null;
  last_ping: string | null;
  response_time_ms: number | null;
  consecutive_failures: number;
  instances: number;
  up: number;
}

function latest(values: (string | null)[]): string | null {
  return values.reduce<string | null>(
    (best, v) => (v !== null && (best === null || v > best) ? v : best),
    null,
  );
}

/**
 * Sums up a service's instances. The single-URL fields describe the instance that best stands for
 * the service: an UP one if any, else the one checked last.
 */
export function summarizeService(instances: readonly InstanceRecord[]): ServiceHealth {
  const counts = countByStatus(instances);
  const checked = [...instances].sort((a, b) =>
    (b.lastCheckAt ?? '').localeCompare(a.lastCheckAt ?? ''),
  );
  const representative = instances.find((i) => i.status === 'UP') ?? checked[0] ?? null;
  return {
    status: counts.UP > 0 ? 'UP' : counts.DOWN > 0 ? 'DOWN' : 'UNKNOWN',
    url: representative?.url ?? null,
    last_ping: latest(instances.map((i) => i.lastCheckAt)),
    response_time_ms: representative?.responseTimeMs ?? null,
    consecutive_failures: representative?.consecutiveFailures ?? 0,
    instances: instances.length,
    up: counts.UP,
  };
}
