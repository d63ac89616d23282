import type { InstanceRecord } from '../src/model/instance';
import { InstanceInput, registeredRecord } from '../src/registry/lifecycle/instance-lifecycle';

/** Request bodies and records for the tests, each a small default with overrides. */

export function aRegistration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    serviceType: 'user-service',
    port: 3000,
    host: '127.0.0.1',
    healthCheck: { type: 'none' },
    ...overrides,
  };
}

export function aCompatRoute(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { host: 'api.example.com', path: '/v2', backend: 'http://127.0.0.1:9000', ...overrides };
}

export function aServiceRegistration(
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    service: 'sagjan',
    url: 'http://127.0.0.1:7812',
    health_endpoint: '/health',
    routes: [{ method: 'GET', path: '/api/comments/*', permission: 'comments:read' }],
    ...overrides,
  };
}

/** What a registration brings to the registry (the lifecycle's InstanceInput), with overrides. */
export function anInstanceInput(overrides: Partial<InstanceInput> = {}): InstanceInput {
  return {
    serviceType: 'users',
    host: '127.0.0.1',
    port: 3000,
    url: 'http://127.0.0.1:3000',
    healthCheck: { type: 'http', path: '/health', interval: null, timeout: null, ttl: null },
    metadata: {},
    tags: [],
    version: null,
    zone: null,
    weight: 1,
    origin: 'service',
    ...overrides,
  };
}

/**
 * A freshly registered instance record (UNKNOWN, never checked), with overrides. A `healthCheck`
 * override brings its checks along, as a registration with it would.
 */
export function anInstanceRecord(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  const input = overrides.healthCheck
    ? anInstanceInput({ healthCheck: overrides.healthCheck })
    : anInstanceInput();
  const record = registeredRecord(
    input,
    { id: overrides.id ?? 'i1', tokenHash: 'hash', now: '2026-11-23T08:00:00.000Z' },
    undefined,
  );
  const checks =
    overrides.checks ??
    record.checks.map((check) => ({
      ...check,
      ...(overrides.status === 'UP' ? { status: 'passing' as const, settled: true } : {}),
      ...(overrides.status === 'DOWN' ? { status: 'critical' as const, settled: true } : {}),
      consecutiveFailures: overrides.consecutiveFailures ?? 0,
    }));
  return { ...record, ...overrides, checks };
}
