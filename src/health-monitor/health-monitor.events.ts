import { InstanceRecord, InstanceStatus } from '../registry/instance.model';
import { CheckOutcome } from './health-policy';

/** What the health monitor announces; the gateway listens to stop or resume traffic at once. */
export const HEALTH_EVENTS = {
  checkPassed: 'healthCheckPassed',
  checkFailed: 'healthCheckFailed',
  statusChanged: 'instanceStatusChanged',
  /** Emitted by the gateway: live traffic could not reach an instance (passive check). */
  upstreamFailed: 'upstreamFailed',
} as const;

export interface UpstreamFailedEvent {
  instanceId: string;
  error: string;
}

export interface HealthCheckEvent {
  instance: InstanceRecord;
  outcome: CheckOutcome;
}

export interface StatusChangedEvent {
  instance: InstanceRecord;
  from: InstanceStatus;
  to: InstanceStatus;
}
