import type { InstanceUpdatedEvent } from '../model/events';
import { InstanceRecord, ttlOf } from '../model/instance';

/**
 * What a committed change means for an instance's place in the check queue. Pure: the scheduler
 * follows the registry's announcements with it and never writes back.
 *
 * - `remove`: not checked any more (drained, checks stopped, no check at all);
 * - `now`: checked at once (moved, check changed, re-registered, undrained, checks restarted);
 * - `ttl`: a heartbeat renewed the ttl, which now runs from it;
 * - `down`: live traffic made it DOWN, so it is next checked on the DOWN_CHECK_INTERVAL rhythm;
 * - `keep`: nothing the queue cares about (a check's own result is scheduled by the scheduler).
 */
export type QueuePlan = 'remove' | 'now' | 'ttl' | 'down' | 'keep';

/** True when the monitor has anything to do for the instance. */
export function isChecked(
  instance: Pick<InstanceRecord, 'status' | 'checksStopped' | 'healthCheck'>,
): boolean {
  return (
    instance.status !== 'MAINTENANCE' &&
    !instance.checksStopped &&
    instance.healthCheck.type !== 'none'
  );
}

export function planAfterChange({
  instance,
  previous,
  reason,
  statusChange,
}: InstanceUpdatedEvent): QueuePlan {
  if (!isChecked(instance)) return 'remove';
  if (
    reason === 'registration' ||
    instance.url !== previous.url ||
    JSON.stringify(instance.healthCheck) !== JSON.stringify(previous.healthCheck) ||
    !isChecked(previous)
  ) {
    return 'now';
  }
  if (reason === 'heartbeat' && instance.healthCheck.type === 'ttl') return 'ttl';
  if (statusChange?.reason === 'traffic' && statusChange.to === 'DOWN') {
    // ttl instances keep the rhythm of their heartbeats.
    return instance.healthCheck.type === 'ttl' ? 'keep' : 'down';
  }
  return 'keep';
}

/** When a ttl instance's ttl runs out: a ttl after its last heartbeat, or its registration. */
export function ttlDeadline(
  instance: Pick<InstanceRecord, 'healthCheck' | 'lastHeartbeatAt' | 'registeredAt'>,
): number {
  return (
    Date.parse(instance.lastHeartbeatAt ?? instance.registeredAt) + ttlOf(instance.healthCheck)
  );
}
