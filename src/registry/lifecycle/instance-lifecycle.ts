import type { StatusChange, StatusReason } from '../../model/events';
import type { CheckReport, HealthThresholds } from '../../model/health';
import { InstanceRecord, InstanceStatus, ttlOf } from '../../model/instance';

/**
 * The life of an instance, in one place and free of Nest: what its first record is, and what a
 * heartbeat, a check's outcome, a failed request of live traffic, a missed ttl or an operator's
 * PATCH does to it. The registry applies the step it answers — it is the one writer — and the
 * health monitor only schedules, probes and reports.
 *
 * Status: UNKNOWN → UP after HEALTHY_THRESHOLD passes; UP or UNKNOWN → DOWN after
 * UNHEALTHY_THRESHOLD consecutive failures (live traffic's count too); DOWN → UP after
 * HEALTHY_THRESHOLD passes. A ttl instance is DOWN as soon as its ttl runs out and UP at its next
 * heartbeat. After STOP_CHECKS_AFTER consecutive failures checks stop (the instance stays DOWN and
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
>;

/** What an operator (or the instance itself) may change with `PATCH /service/:id`. */
export interface InstancePatch {
  status?: Extract<InstanceStatus, 'UP' | 'MAINTENANCE'>;
  metadata?: Record<string, string>;
  weight?: number;
}

export type LifecycleEvent =
  | { type: 'heartbeat' }
  | { type: 'report'; report: CheckReport }
  | { type: 'operator'; patch: InstancePatch };

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
  return {
    ...input,
    id: identity.id,
    status:
      input.healthCheck.type === 'none'
        ? 'UP'
        : previous?.status === 'MAINTENANCE'
          ? 'MAINTENANCE'
          : 'UNKNOWN',
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
    case 'operator':
      return operator(before, event.patch);
    case 'report':
      return report(before, event.report, thresholds, now);
  }
}

/** True when a DOWN instance has been DOWN for DEREGISTER_AFTER or longer. */
export function shouldDeregister(
  record: Pick<InstanceRecord, 'status' | 'downSince'>,
  deregisterAfterMs: number | null,
  nowMs: number,
): boolean {
  if (deregisterAfterMs === null || record.status !== 'DOWN' || record.downSince === null)
    return false;
  return nowMs - Date.parse(record.downSince) >= deregisterAfterMs;
}

function step(
  before: InstanceRecord,
  record: InstanceRecord,
  reason: StatusReason,
  durable: boolean,
): Step {
  const statusChange =
    before.status !== record.status ? { from: before.status, to: record.status, reason } : null;
  const stopped = !before.checksStopped && record.checksStopped;
  return {
    record,
    statusChange,
    stopped,
    durable: durable || statusChange !== null || before.checksStopped !== record.checksStopped,
  };
}

/**
 * A heartbeat renews a ttl instance — a passing check: UP at once unless drained — and restarts the
 * checks of any instance whose checks had stopped. Always stored: after a restart the ttl runs
 * from the last heartbeat.
 */
function heartbeat(before: InstanceRecord, now: string): Step {
  if (before.healthCheck.type !== 'ttl') {
    return step(
      before,
      { ...before, lastHeartbeatAt: now, checksStopped: false },
      'heartbeat',
      true,
    );
  }
  return step(
    before,
    {
      ...before,
      status: before.status === 'MAINTENANCE' ? 'MAINTENANCE' : 'UP',
      lastHeartbeatAt: now,
      consecutiveFailures: 0,
      consecutiveSuccesses: before.consecutiveSuccesses + 1,
      checksStopped: false,
      downSince: null,
      lastCheckAt: now,
      lastSuccessAt: now,
      lastError: null,
      responseTimeMs: 0,
    },
    'heartbeat',
    true,
  );
}

/**
 * Drain (MAINTENANCE), undrain (UP), metadata and weight. Leaving maintenance hands the instance
 * back to the checks: UNKNOWN until one passes, unless it has no check. An UP on an instance whose
 * checks stopped restarts them; the checks decide its status.
 */
function operator(before: InstanceRecord, patch: InstancePatch): Step {
  const record: InstanceRecord = { ...before };
  if (patch.metadata !== undefined) record.metadata = patch.metadata;
  if (patch.weight !== undefined) record.weight = patch.weight;
  if (patch.status === 'MAINTENANCE') {
    record.status = 'MAINTENANCE';
  } else if (patch.status === 'UP' && before.status === 'MAINTENANCE') {
    record.status = before.healthCheck.type === 'none' ? 'UP' : 'UNKNOWN';
    record.checksStopped = false;
    record.consecutiveFailures = 0;
    record.consecutiveSuccesses = 0;
  } else if (patch.status === 'UP' && before.checksStopped) {
    record.checksStopped = false;
  }
  return step(before, record, 'operator', true);
}

function report(
  before: InstanceRecord,
  report: CheckReport,
  thresholds: HealthThresholds,
  now: string,
): Step {
  // Drained instances and instances without a check are the operator's: no report changes them.
  if (before.status === 'MAINTENANCE' || before.healthCheck.type === 'none') {
    return { record: before, statusChange: null, durable: false, stopped: false };
  }
  switch (report.kind) {
    case 'probe':
      return report.outcome.ok
        ? passed(before, report.outcome.responseTimeMs, thresholds, now)
        : failed(before, report.outcome.error ?? 'failed', report.outcome.responseTimeMs, {
            thresholds,
            now,
            reason: 'check',
          });
    case 'traffic':
      return failed(before, `live traffic: ${report.error}`, before.responseTimeMs, {
        thresholds,
        now,
        reason: 'traffic',
      });
    case 'ttl':
      return ttlMissed(before, now);
  }
}

function passed(
  before: InstanceRecord,
  responseTimeMs: number,
  thresholds: HealthThresholds,
  now: string,
): Step {
  const successes = before.consecutiveSuccesses + 1;
  const becomesUp = before.status !== 'UP' && successes >= thresholds.healthyThreshold;
  return step(
    before,
    {
      ...before,
      status: becomesUp ? 'UP' : before.status,
      consecutiveSuccesses: successes,
      consecutiveFailures: 0,
      checksStopped: false,
      downSince: becomesUp ? null : before.downSince,
      lastCheckAt: now,
      lastSuccessAt: now,
      responseTimeMs,
      lastError: null,
    },
    'check',
    false,
  );
}

function failed(
  before: InstanceRecord,
  error: string,
  responseTimeMs: number | null,
  { thresholds, now, reason }: { thresholds: HealthThresholds; now: string; reason: StatusReason },
): Step {
  const failures = before.consecutiveFailures + 1;
  const becomesDown = before.status !== 'DOWN' && failures >= thresholds.unhealthyThreshold;
  return step(
    before,
    {
      ...before,
      status: becomesDown ? 'DOWN' : before.status,
      consecutiveFailures: failures,
      consecutiveSuccesses: 0,
      checksStopped: failures >= thresholds.stopChecksAfter,
      downSince: becomesDown ? now : before.downSince,
      lastCheckAt: now,
      responseTimeMs,
      lastError: error,
    },
    reason,
    false,
  );
}

/**
 * A ttl instance whose last heartbeat (or registration) is older than its ttl is DOWN at once: the
 * ttl already is the patience; counting missed ttls would only add more of it.
 */
function ttlMissed(before: InstanceRecord, now: string): Step {
  if (before.status === 'DOWN') {
    return step(before, { ...before, lastCheckAt: now }, 'ttl', false);
  }
  return step(
    before,
    {
      ...before,
      status: 'DOWN',
      consecutiveFailures: before.consecutiveFailures + 1,
      consecutiveSuccesses: 0,
      downSince: now,
      lastCheckAt: now,
      lastError: `no heartbeat within ${ttlOf(before.healthCheck)}ms`,
    },
    'ttl',
    false,
  );
}
