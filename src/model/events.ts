import type { CheckOutcome } from './health';
import type { InstanceRecord, InstanceStatus } from './instance';
import type { RouteRecord } from './route';

/**
 * What the registry announces after each committed change, and what the gateway reports to it.
 * The registry is the one emitter of instance and route events; listeners follow along (the route
 * table, the check queue, metrics) and never write back.
 */
export const REGISTRY_EVENTS = {
  instanceRegistered: 'instance.registered',
  instanceRemoved: 'instance.removed',
  instanceUpdated: 'instance.updated',
  routeAdded: 'route.added',
  routeRemoved: 'route.removed',
  checkPassed: 'healthCheckPassed',
  checkFailed: 'healthCheckFailed',
  statusChanged: 'instanceStatusChanged',
} as const;

/** Reported by the gateway: live traffic could not reach an instance (a passive check). */
export const GATEWAY_EVENTS = {
  upstreamFailed: 'upstreamFailed',
} as const;

/** What caused a status change, as the contract names it. */
export const STATUS_REASONS = [
  'check',
  'traffic',
  'ttl',
  'heartbeat',
  'operator',
  'deregister_after',
] as const;
export type StatusReason = (typeof STATUS_REASONS)[number];

/** What caused any change: a status reason, or the instance's own (re-)registration or removal. */
export const CHANGE_REASONS = [...STATUS_REASONS, 'registration', 'deregistration'] as const;
export type ChangeReason = (typeof CHANGE_REASONS)[number];

export interface StatusChange {
  from: InstanceStatus;
  to: InstanceStatus;
  reason: StatusReason;
}

export interface InstanceEvent {
  instance: InstanceRecord;
  reason: ChangeReason;
}

export interface InstanceUpdatedEvent extends InstanceEvent {
  previous: InstanceRecord;
  /** Set when the status changed. */
  statusChange: StatusChange | null;
}

export interface StatusChangedEvent extends StatusChange {
  instance: InstanceRecord;
}

export interface HealthCheckEvent {
  instance: InstanceRecord;
  outcome: CheckOutcome;
  reason: 'check' | 'traffic' | 'ttl';
}

export interface RouteEvent {
  route: RouteRecord;
}

export interface UpstreamFailedEvent {
  instanceId: string;
  error: string;
}
