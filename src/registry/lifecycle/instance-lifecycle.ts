import {
  CheckDeclaration,
  CheckStatus,
  declareChecks,
  initialChecks,
  InstanceCheck,
  isProbe,
  restartedCheck,
  statusOfChecks,
  ttlDeadlineOf,
} from '../../model/check';
import type { StatusChange, StatusReason } from '../../model/events';
import type { CheckReport, HealthThresholds } from '../../model/health';
import { InstanceRecord, InstanceStatus, ttlOf } from '../../model/instance';
import { checkExpired, checkFailed, checkPassed, checkTold } from './check-transitions';

/**
 * The life of an instance, in one place and free of Nest: what its first record is, and what a
 * heartbeat, a check's outcome, a failed request of live traffic, a missed ttl or an operator's
 * PATCH does to it. The registry applies the step it answers — it is the one writer — and the
 * health monitor only schedules, probes and reports.
 *
 * Each check moves under the thresholds (check-transitions.ts), and the instance's status follows
 * from all of them: UP while every check passes, DOWN once one has failed, UNKNOWN before. So with
 * one check: UNKNOWN → UP after HEALTHY_THRESHOLD passes; UP or UNKNOWN → DOWN after
 * UNHEALTHY_THRESHOLD consecutive failures (live traffic's count too); DOWN → UP after
 * HEALTHY_THRESHOLD passes. A ttl check is critical as soon as its ttl runs out and passing at its
 * next heartbeat (or Consul's check/pass). After STOP_CHECKS_AFTER consecutive failures checks stop (the instance stays DOWN and
 * says so) until a heartbeat, a re-registration or an operator's UP. MAINTENANCE is changed only by
 * the operator; `none` instances are UP and never checked.
 */

/** What a registration brings: the instance's own fields. */
export type InstanceInput = Pick<
  InstanceRecord,
  | 'serviceType'
  | 'host'
  | 'port'
  | 'url'
  | 'healthCheck'
  | 'metadata'
  | 'tags'
  | 'version'
  | 'zone'
  | 'weight'
  | 'origin'
> & {
  /** Its checks; absent: the one `healthCheck` declares. */
  checks?: CheckDeclaration[];
  deregisterAfter?: number | null;
  /** The id it asks for (Consul's service ID); absent: derived from what it is matched on. */
  id?: string;
};

/** What an operator (or the instance itself) may change with `PATCH /service/:id`. */
export interface InstancePatch {
  status?: Extract<InstanceStatus, 'UP' | 'MAINTENANCE'>;
  metadata?: Record<string, string>;
  weight?: number;
}

export type LifecycleEvent =
  | { type: 'heartbeat' }
  | { type: 'report'; report: CheckReport }
  | { type: 'operator'; patch: InstancePatch }
  | { type: 'ttlUpdate'; checkId: string; status: CheckStatus; output: string };

export interface Step {
  /** The record after the event; the same object when the event changes nothing. */
  record: InstanceRecord;
  statusChange: StatusChange | null;
  /**
   * True when the change must be stored and announced. False for check bookkeeping alone (last
   * check, response time, counters): kept in memory, written with the next durable change.
   */
  durable: boolean;
  /** True when this event stopped the checks. */
  stopped: boolean;
  /** What the event was, as a change's reason names it. */
  reason: StatusReason;
}

/**
 * The first record of a registration. A re-registration (a restart) keeps its id, its last
 * success and a drain; everything it says of itself is new, and checks start over.
 */
export function registeredRecord(
  input: InstanceInput,
  identity: { id: string; tokenHash: string; now: string },
  previous: InstanceRecord | undefined,
): InstanceRecord {
  const checks = initialChecks(input.checks ?? declareChecks(input.healthCheck), identity.id);
  // Field by field, in one order: every record has the same shape (a rest-spread of the input
  // cost a registration more than its hash), and nothing the input carries beyond them is kept.
  return {
    id: identity.id,
    serviceType: input.serviceType,
    host: input.host,
    port: input.port,
    url: input.url,
    status: previous?.status === 'MAINTENANCE' ? 'MAINTENANCE' : statusOfChecks(checks),
    healthCheck: input.healthCheck,
    checks,
    deregisterAfter: input.deregisterAfter ?? null,
    metadata: input.metadata,
    // Kept as long as the instance: an exact-size copy (class-transformer's push left room for 16).
    tags: input.tags.slice(),
    version: input.version,
    zone: input.zone,
    weight: input.weight,
    registeredAt: identity.now,
    lastCheckAt: null,
    lastSuccessAt: previous?.lastSuccessAt ?? null,
    lastHeartbeatAt: null,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    responseTimeMs: null,
    lastError: null,
    checksStopped: false,
    downSince: null,
    tokenHash: identity.tokenHash,
    origin: input.origin,
  };
}

/** The next record for one event, with what changed. */
export function nextStep(
  before: InstanceRecord,
  event: LifecycleEvent,
  thresholds: HealthThresholds,
  now: string,
): Step {
  switch (event.type) {
    case 'heartbeat':
      return heartbeat(before, now);
    case 'ttlUpdate':
      return ttlUpdate(before, event, now);
    case 'operator':
      return operator(before, event.patch, now);
    case 'report':
      return report(before, event.report, thresholds, now);
  }
}

/**
 * True when a DOWN instance has been DOWN for its DeregisterCriticalServiceAfter, or else for
 * DEREGISTER_AFTER, or longer.
 */
export function shouldDeregister(
  record: Pick<InstanceRecord, 'status' | 'downSince' | 'deregisterAfter'>,
  deregisterAfterMs: number | null,
  nowMs: number,
): boolean {
  const after = record.deregisterAfter ?? deregisterAfterMs;
  if (after === null || record.status !== 'DOWN' || record.downSince === null) return false;
  return nowMs - Date.parse(record.downSince) >= after;
}

/**
 * The instance after its checks moved: the status they give it (a drain stays a drain), when it
 * went DOWN, the counters the native API shows; then what changed.
 */
function settle(
  before: InstanceRecord,
  next: InstanceRecord,
  reason: StatusReason,
  { durable, now }: { durable: boolean; now: string },
): Step {
  const status = next.status === 'MAINTENANCE' ? 'MAINTENANCE' : statusOfChecks(next.checks);
  const record: InstanceRecord = {
    ...next,
    status,
    downSince: status !== 'DOWN' ? null : before.status === 'DOWN' ? before.downSince : now,
    consecutiveFailures: Math.max(0, ...next.checks.map((c) => c.consecutiveFailures)),
    consecutiveSuccesses: next.checks.length
      ? Math.min(...next.checks.map((c) => c.consecutiveSuccesses))
      : 0,
  };
  const statusChange =
    before.status !== record.status ? { from: before.status, to: record.status, reason } : null;
  const checksMoved = record.checks.some((check, i) => check.status !== before.checks[i]?.status);
  return {
    record,
    statusChange,
    reason,
    stopped: !before.checksStopped && record.checksStopped,
    durable:
      durable ||
      statusChange !== null ||
      checksMoved ||
      before.checksStopped !== record.checksStopped,
  };
}

/**
 * A heartbeat renews every ttl check — a pass, told by the instance itself — and restarts the
 * checks of an instance whose checks had stopped. Always stored: after a restart the ttl runs
 * from the last heartbeat.
 */
function heartbeat(before: InstanceRecord, now: string): Step {
  const renewsTtl = before.checks.some((check) => check.type === 'ttl');
  const checks = before.checks.map((check) =>
    check.type === 'ttl' ? checkTold(check, 'passing', '', now) : check,
  );
  const record: InstanceRecord = { ...before, checks, lastHeartbeatAt: now, checksStopped: false };
  if (renewsTtl) {
    Object.assign(record, { lastCheckAt: now, lastSuccessAt: now, lastError: null });
    record.responseTimeMs = 0;
  }
  return settle(before, record, 'heartbeat', { durable: true, now });
}

/** Consul's check/pass|warn|fail|update on one ttl check; the registry has checked it is one. */
function ttlUpdate(
  before: InstanceRecord,
  event: Extract<LifecycleEvent, { type: 'ttlUpdate' }>,
  now: string,
): Step {
  const checks = before.checks.map((check) =>
    check.id === event.checkId ? checkTold(check, event.status, event.output, now) : check,
  );
  const passing = event.status === 'passing';
  const record: InstanceRecord = {
    ...before,
    checks,
    lastHeartbeatAt: now,
    lastCheckAt: now,
    lastSuccessAt: passing ? now : before.lastSuccessAt,
    lastError: passing ? before.lastError : event.output || `check ${event.status}`,
  };
  return settle(before, record, passing ? 'heartbeat' : 'check', { durable: true, now });
}

/**
 * Drain (MAINTENANCE), undrain (UP), metadata and weight. Leaving maintenance hands the instance
 * back to its checks, which start over: UNKNOWN until they pass, UP at once without any. An UP on
 * an instance whose checks stopped restarts them; the checks decide its status.
 */
function operator(before: InstanceRecord, patch: InstancePatch, now: string): Step {
  const record: InstanceRecord = { ...before };
  if (patch.metadata !== undefined) record.metadata = patch.metadata;
  if (patch.weight !== undefined) record.weight = patch.weight;
  if (patch.status === 'MAINTENANCE') {
    record.status = 'MAINTENANCE';
  } else if (patch.status === 'UP' && before.status === 'MAINTENANCE') {
    record.status = 'UNKNOWN';
    record.checks = before.checks.map(restartedCheck);
    record.checksStopped = false;
  } else if (patch.status === 'UP' && before.checksStopped) {
    record.checksStopped = false;
  }
  return settle(before, record, 'operator', { durable: true, now });
}

function report(
  before: InstanceRecord,
  report: CheckReport,
  thresholds: HealthThresholds,
  now: string,
): Step {
  // Drained instances and instances without a check are the operator's: no report changes them.
  if (before.status === 'MAINTENANCE' || before.checks.length === 0) {
    return unchanged(before);
  }
  switch (report.kind) {
    case 'probe':
      return probed(before, report, thresholds, now);
    case 'traffic':
      return trafficFailed(before, `live traffic: ${report.error}`, thresholds, now);
    case 'ttl':
      return ttlMissed(before, now);
  }
}

/** A probe of every http and tcp check: each result moves its own check. */
function probed(
  before: InstanceRecord,
  report: Extract<CheckReport, { kind: 'probe' }>,
  thresholds: HealthThresholds,
  now: string,
): Step {
  const outcome = report.outcome;
  const checks = before.checks.map((check) => {
    if (!isProbe(check)) return check;
    const result = report.perCheck?.get(check.id) ?? outcome;
    return result.ok
      ? checkPassed(check, thresholds, now)
      : checkFailed(check, result.error ?? 'failed', thresholds, now);
  });
  const failures = Math.max(0, ...checks.map((c) => c.consecutiveFailures));
  const record: InstanceRecord = {
    ...before,
    checks,
    lastCheckAt: now,
    responseTimeMs: outcome.responseTimeMs,
    lastSuccessAt: outcome.ok ? now : before.lastSuccessAt,
    lastError: outcome.ok ? null : (outcome.error ?? 'failed'),
    checksStopped: outcome.ok ? false : failures >= thresholds.stopChecksAfter,
  };
  return settle(before, record, 'check', { durable: false, now });
}

/** Live traffic could not reach the instance: a failure of each of its checks. */
function trafficFailed(
  before: InstanceRecord,
  error: string,
  thresholds: HealthThresholds,
  now: string,
): Step {
  const checks = before.checks.map((check) => checkFailed(check, error, thresholds, now));
  const failures = Math.max(0, ...checks.map((c) => c.consecutiveFailures));
  const record: InstanceRecord = {
    ...before,
    checks,
    lastCheckAt: now,
    lastError: error,
    checksStopped: failures >= thresholds.stopChecksAfter,
  };
  return settle(before, record, 'traffic', { durable: false, now });
}

/** The ttl checks whose clock ran out by `now` are critical at once. */
function ttlMissed(before: InstanceRecord, now: string): Step {
  const nowMs = Date.parse(now);
  let expired: InstanceCheck | undefined;
  const checks = before.checks.map((check) => {
    if (check.type !== 'ttl' || ttlDeadlineOf(check, before.registeredAt) > nowMs) return check;
    const after = checkExpired(check, now);
    expired ??= after;
    return after;
  });
  if (!expired) return unchanged(before);
  const record: InstanceRecord = {
    ...before,
    checks,
    lastCheckAt: now,
    lastError: `no heartbeat within ${ttlOf(expired)}ms`,
  };
  return settle(before, record, 'ttl', { durable: false, now });
}

function unchanged(record: InstanceRecord): Step {
  return { record, statusChange: null, durable: false, stopped: false, reason: 'check' };
}
