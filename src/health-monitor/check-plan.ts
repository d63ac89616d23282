import { isProbe, sameCheckSpecs, ttlDeadlineOf } from '../model/check';
import type { InstanceUpdatedEvent } from '../model/events';
import type { InstanceRecord } from '../model/instance';

/**
 * What a committed change means for an instance's place in the check queue. Pure: the scheduler
 * follows the registry's announcements with it and never writes back. An instance has up to two
 * places: one for probing its http and tcp checks, one for the next deadline of its ttl checks.
 *
 * The probe place after a change:
 * - `remove`: not checked any more (drained, checks stopped, no check at all);
 * - `now`: checked at once (moved, checks changed, re-registered, undrained, checks restarted);
 * - `down`: live traffic made it DOWN, so it is next probed on the DOWN_CHECK_INTERVAL rhythm;
 * - `keep`: nothing the queue cares about (a probe's own result is scheduled by the scheduler).
 * The ttl place is always where `ttlDue` says.
 */
export type QueuePlan = 'remove' | 'now' | 'down' | 'keep';

type Checked = Pick<InstanceRecord, 'status' | 'checksStopped' | 'checks'>;

/** True when the monitor has anything to do for the instance. */
export function isChecked(instance: Checked): boolean {
  return instance.status !== 'MAINTENANCE' && !instance.checksStopped && instance.checks.length > 0;
}

/** True when the instance has checks the monitor probes itself (http, tcp). */
export function hasProbes(instance: Pick<InstanceRecord, 'checks'>): boolean {
  return instance.checks.some(isProbe);
}

export function planAfterChange({
  instance,
  previous,
  reason,
  statusChange,
}: InstanceUpdatedEvent): QueuePlan {
  if (!isChecked(instance) || !hasProbes(instance)) return 'remove';
  if (
    reason === 'registration' ||
    instance.url !== previous.url ||
    !sameCheckSpecs(instance.checks, previous.checks) ||
    !isChecked(previous)
  ) {
    return 'now';
  }
  if (statusChange?.reason === 'traffic' && statusChange.to === 'DOWN') return 'down';
  return 'keep';
}

/**
 * When the instance's ttl checks next need a look: the earliest deadline still ahead, or now for
 * a check whose deadline passed unnoticed (after a restart); null when none needs one.
 */
export function ttlDue(
  instance: Checked & Pick<InstanceRecord, 'registeredAt'>,
  nowMs: number,
): number | null {
  if (!isChecked(instance)) return null;
  let due: number | null = null;
  for (const check of instance.checks) {
    if (check.type !== 'ttl') continue;
    const deadline = ttlDeadlineOf(check, instance.registeredAt);
    const expired = check.settled && check.status === 'critical';
    const at = deadline > nowMs ? deadline : expired ? null : nowMs;
    if (at !== null && (due === null || at < due)) due = at;
  }
  return due;
}

/** The probe interval of an instance: the shortest of its probe checks' own, else the setting. */
export function probeInterval(
  instance: Pick<InstanceRecord, 'checks'>,
  defaultIntervalMs: number,
): number {
  let interval: number | null = null;
  for (const check of instance.checks) {
    if (!isProbe(check) || check.interval === null) continue;
    interval = interval === null ? check.interval : Math.min(interval, check.interval);
  }
  return interval ?? defaultIntervalMs;
}
