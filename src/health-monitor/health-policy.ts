import { InstanceRecord, InstanceStatus } from '../registry/instance.model';

/**
 * The health state machine, in one place and free of Nest: what one check result, a missed TTL or a
 * heartbeat does to an instance.
 *
 * UNKNOWN → UP after HEALTHY_THRESHOLD passes; UP or UNKNOWN → DOWN after UNHEALTHY_THRESHOLD
 * consecutive failures; DOWN → UP after HEALTHY_THRESHOLD passes; after STOP_CHECKS_AFTER consecutive
 * failures checking stops (the instance stays DOWN and says so). MAINTENANCE is never changed here.
 */

export interface HealthThresholds {
  healthyThreshold: number;
  unhealthyThreshold: number;
  stopChecksAfter: number;
}

export interface CheckOutcome {
  ok: boolean;
  responseTimeMs: number;
  /** Why it failed, in words; null when it passed. */
  error: string | null;
}

/** The instance fields the policy reads and writes. */
export type HealthFields = Pick<
  InstanceRecord,
  | 'status'
  | 'consecutiveFailures'
  | 'consecutiveSuccesses'
  | 'checksStopped'
  | 'downSince'
  | 'lastCheckAt'
  | 'lastSuccessAt'
  | 'responseTimeMs'
  | 'lastError'
>;

export interface Transition {
  fields: HealthFields;
  /** Set when the status changed: the one thing that is stored, logged and announced. */
  statusChange: { from: InstanceStatus; to: InstanceStatus } | null;
  /** True when this result stopped the checks. */
  stopped: boolean;
}

function transition(before: HealthFields, fields: HealthFields): Transition {
  return {
    fields,
    statusChange:
      before.status !== fields.status ? { from: before.status, to: fields.status } : null,
    stopped: !before.checksStopped && fields.checksStopped,
  };
}

/** Applies one active check result (http or tcp). */
export function applyCheck(
  before: HealthFields,
  outcome: CheckOutcome,
  thresholds: HealthThresholds,
  now: string,
): Transition {
  const base = { ...before, lastCheckAt: now, responseTimeMs: outcome.responseTimeMs };
  if (before.status === 'MAINTENANCE') {
    return transition(before, { ...base, lastError: outcome.error });
  }
  if (outcome.ok) {
    const successes = before.consecutiveSuccesses + 1;
    const becomesUp = before.status !== 'UP' && successes >= thresholds.healthyThreshold;
    return transition(before, {
      ...base,
      status: becomesUp ? 'UP' : before.status,
      consecutiveSuccesses: successes,
      consecutiveFailures: 0,
      checksStopped: false,
      downSince: becomesUp ? null : before.downSince,
      lastSuccessAt: now,
      lastError: null,
    });
  }
  const failures = before.consecutiveFailures + 1;
  const becomesDown = before.status !== 'DOWN' && failures >= thresholds.unhealthyThreshold;
  return transition(before, {
    ...base,
    status: becomesDown ? 'DOWN' : before.status,
    consecutiveFailures: failures,
    consecutiveSuccesses: 0,
    checksStopped: failures >= thresholds.stopChecksAfter,
    downSince: becomesDown ? now : before.downSince,
    lastError: outcome.error,
  });
}

/**
 * A TTL instance whose last heartbeat (or registration) is older than its ttl is DOWN at once: the
 * ttl already is the patience; counting missed TTLs would only add more of it.
 */
export function applyTtlExpired(before: HealthFields, ttlMs: number, now: string): Transition {
  if (before.status === 'MAINTENANCE' || before.status === 'DOWN') {
    return transition(before, { ...before, lastCheckAt: now });
  }
  return transition(before, {
    ...before,
    status: 'DOWN',
    consecutiveFailures: before.consecutiveFailures + 1,
    consecutiveSuccesses: 0,
    downSince: now,
    lastCheckAt: now,
    lastError: `no heartbeat within ${ttlMs}ms`,
  });
}

/** A heartbeat is a passing check for a TTL instance: UP at once (unless in maintenance). */
export function applyHeartbeat(before: HealthFields, now: string): Transition {
  return transition(before, {
    ...before,
    status: before.status === 'MAINTENANCE' ? 'MAINTENANCE' : 'UP',
    consecutiveFailures: 0,
    consecutiveSuccesses: before.consecutiveSuccesses + 1,
    checksStopped: false,
    downSince: null,
    lastCheckAt: now,
    lastSuccessAt: now,
    lastError: null,
    responseTimeMs: 0,
  });
}

/** True when a DOWN instance has been DOWN for DEREGISTER_AFTER or longer. */
export function shouldDeregister(
  fields: HealthFields,
  deregisterAfterMs: number | null,
  nowMs: number,
): boolean {
  if (deregisterAfterMs === null || fields.status !== 'DOWN' || fields.downSince === null)
    return false;
  return nowMs - Date.parse(fields.downSince) >= deregisterAfterMs;
}
