import type { HealthThresholds } from '../../model/health';
import { CheckStatus, checkWith, InstanceCheck } from '../../model/check';
import { ttlOf } from '../../model/instance';

/**
 * What one result does to one check, under the health thresholds. A check becomes passing after
 * HEALTHY_THRESHOLD passes in a row and critical after UNHEALTHY_THRESHOLD failures in a row;
 * below those it keeps its status, so one lost probe does not move an instance. `output` changes
 * only with the status: answers built from checks move exactly when their index does.
 */

export function checkPassed(
  check: InstanceCheck,
  thresholds: HealthThresholds,
  now: string,
): InstanceCheck {
  const successes = check.consecutiveSuccesses + 1;
  const becomesPassing = check.status !== 'passing' && successes >= thresholds.healthyThreshold;
  return checkWith(check, {
    status: becomesPassing ? 'passing' : check.status,
    settled: check.settled || becomesPassing,
    output: becomesPassing ? '' : check.output,
    consecutiveSuccesses: successes,
    consecutiveFailures: 0,
    lastCheckAt: now,
  });
}

export function checkFailed(
  check: InstanceCheck,
  error: string,
  thresholds: HealthThresholds,
  now: string,
): InstanceCheck {
  const failures = check.consecutiveFailures + 1;
  const hasFailed = check.settled && check.status === 'critical';
  const becomesCritical = !hasFailed && failures >= thresholds.unhealthyThreshold;
  return checkWith(check, {
    status: becomesCritical ? 'critical' : check.status,
    settled: check.settled || becomesCritical,
    output: becomesCritical ? error : check.output,
    consecutiveFailures: failures,
    consecutiveSuccesses: 0,
    lastCheckAt: now,
  });
}

/**
 * A ttl check told its status (a heartbeat, or Consul's check/pass|warn|fail|update): taken at
 * once, as the instance's own word, and its clock starts again.
 */
export function checkTold(
  check: InstanceCheck,
  status: CheckStatus,
  output: string,
  now: string,
): InstanceCheck {
  return checkWith(check, {
    status,
    settled: true,
    output,
    consecutiveSuccesses: status === 'passing' ? check.consecutiveSuccesses + 1 : 0,
    consecutiveFailures: status === 'passing' ? 0 : check.consecutiveFailures + 1,
    lastCheckAt: now,
    renewedAt: now,
  });
}

/** A ttl check whose clock ran out: critical at once, the ttl already was the patience. */
export function checkExpired(check: InstanceCheck, now: string): InstanceCheck {
  if (check.settled && check.status === 'critical') return checkWith(check, { lastCheckAt: now });
  return checkWith(check, {
    status: 'critical',
    settled: true,
    output: `TTL expired: no update within ${ttlOf(check)}ms`,
    consecutiveFailures: check.consecutiveFailures + 1,
    consecutiveSuccesses: 0,
    lastCheckAt: now,
  });
}
