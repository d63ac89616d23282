import { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import {
  ChangeReason,
  HealthCheckEvent,
  InstanceEvent,
  InstanceUpdatedEvent,
  REGISTRY_EVENTS,
  RouteEvent,
  StatusChange,
  StatusChangedEvent,
} from '../model/events';
import type { CheckOutcome } from '../model/health';
import type { InstanceRecord } from '../model/instance';
import type { RouteRecord } from '../model/route';

/**
 * How the registry tells the rest of the process what it committed: one event per change, with its
 * reason, and a status change logged once. Only the registry holds one.
 */
export class ChangeAnnouncer {
  private readonly logger = new Logger(ChangeAnnouncer.name);

  constructor(private readonly events: EventEmitter2) {}

  registered(instance: InstanceRecord): void {
    this.events.emit(REGISTRY_EVENTS.instanceRegistered, {
      instance,
      reason: 'registration',
    } satisfies InstanceEvent);
  }

  removed(instance: InstanceRecord, reason: ChangeReason): void {
    this.events.emit(REGISTRY_EVENTS.instanceRemoved, { instance, reason } satisfies InstanceEvent);
  }

  updated(
    previous: InstanceRecord,
    instance: InstanceRecord,
    reason: ChangeReason,
    statusChange: StatusChange | null,
  ): void {
    this.events.emit(REGISTRY_EVENTS.instanceUpdated, {
      instance,
      previous,
      reason,
      statusChange,
    } satisfies InstanceUpdatedEvent);
    if (!statusChange) return;
    const why = statusChange.to === 'UP' ? '' : ` (${instance.lastError ?? statusChange.reason})`;
    this.logger.log(
      `${instance.serviceType} ${instance.url} ${statusChange.from} -> ${statusChange.to}${why}`,
    );
    this.events.emit(REGISTRY_EVENTS.statusChanged, {
      instance,
      ...statusChange,
    } satisfies StatusChangedEvent);
  }

  checked(
    instance: InstanceRecord,
    outcome: CheckOutcome,
    reason: HealthCheckEvent['reason'],
  ): void {
    this.events.emit(outcome.ok ? REGISTRY_EVENTS.checkPassed : REGISTRY_EVENTS.checkFailed, {
      instance,
      outcome,
      reason,
    } satisfies HealthCheckEvent);
  }

  checksStopped(instance: InstanceRecord): void {
    this.logger.warn(
      `${instance.serviceType} ${instance.url}: checks stopped after ${instance.consecutiveFailures} consecutive failures`,
    );
  }

  deregisteredAfterDown(instance: InstanceRecord): void {
    this.logger.log(
      `${instance.serviceType} ${instance.url} deregistered: DOWN since ${instance.downSince}`,
    );
  }

  routeAdded(route: RouteRecord): void {
    this.events.emit(REGISTRY_EVENTS.routeAdded, { route } satisfies RouteEvent);
  }

  routeRemoved(route: RouteRecord): void {
    this.events.emit(REGISTRY_EVENTS.routeRemoved, { route } satisfies RouteEvent);
  }
}
