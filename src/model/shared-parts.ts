import type { InstanceCheck } from './check';
import {
  CHECK_TYPES,
  CheckType,
  defaultCheckSpec,
  HealthCheckSpec,
  InstanceRecord,
} from './instance';

/**
 * The parts most records have alike — no tags, no metadata, no checks, a health check with every
 * default — held once for them all rather than once per record. Each is an object the full GC
 * would otherwise mark for every instance: at tens of thousands of instances the records are most
 * of the heap, and a burst of registrations waits on the full GCs (README, `bench:registry`).
 * Frozen, so a write to a shared part throws instead of changing every record. Pure.
 */
const NO_TAGS: readonly string[] = Object.freeze([]);
const NO_CHECKS: readonly InstanceCheck[] = Object.freeze([]);
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});
const DEFAULT_SPECS = new Map<CheckType, HealthCheckSpec>(
  CHECK_TYPES.map((type) => [type, Object.freeze(defaultCheckSpec(type))]),
);

/** The record with its common parts swapped for the shared ones, in place; returns it. */
export function shareCommonParts(record: InstanceRecord): InstanceRecord {
  if (record.tags.length === 0) record.tags = NO_TAGS;
  if (record.checks.length === 0) record.checks = NO_CHECKS;
  if (isEmpty(record.metadata)) record.metadata = NO_METADATA;
  record.healthCheck = sharedSpec(record.healthCheck);
  return record;
}

function sharedSpec(spec: HealthCheckSpec): HealthCheckSpec {
  const shared = DEFAULT_SPECS.get(spec.type);
  return shared !== undefined &&
    spec.path === shared.path &&
    spec.interval === null &&
    spec.timeout === null &&
    spec.ttl === shared.ttl
    ? shared
    : spec;
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}
