import { InstanceRecord } from './instance.model';

/** What callers see of an instance: every contract field, never the token hash. */
export type InstanceView = Omit<
  InstanceRecord,
  'tokenHash' | 'origin' | 'consecutiveSuccesses' | 'downSince'
>;

export function toInstanceView(record: InstanceRecord): InstanceView {
  return {
    id: record.id,
    serviceType: record.serviceType,
    host: record.host,
    port: record.port,
    url: record.url,
    status: record.status,
    healthCheck: record.healthCheck,
    metadata: record.metadata,
    tags: record.tags,
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
