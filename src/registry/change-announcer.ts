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
import { InstanceRecord, toInstanceView } from '../model/instance';
import type { RouteRecord } from '../model/route';
import { HistoryEntry, InstanceHistory } from './instance-history';
import { Journal, LazyJournalEntry } from './journal';
import { toRouteView } from './route-view';

/**
 * How the registry tells the rest of the process what it committed: one event per change, with its
 * reason, a status change logged once, and the same change written to the journal (`/events`) and
 * the instance's history. Only the registry holds one; `indexNow` is the index of the commit just
 * made (check results, which commit nothing, carry the current one).
 */
export class ChangeAnnouncer {
  private readonly logger = new Logger(ChangeAnnouncer.name);
  readonly journal: Journal;
  readonly history = new InstanceHistory();

  constructor(
    private readonly events: EventEmitter2,
    private readonly indexNow: () => number,
  ) {
    this.journal = new Journal(indexNow());
  }

  registered(instance: InstanceRecord): void {
    this.logger.log(`${instance.serviceType} ${instance.url} registered as ${instance.id}`);
    this.events.emit(REGISTRY_EVENTS.instanceRegistered, {
      instance,
      reason: 'registration',
    } satisfies InstanceEvent);
    this.write('instanceRegistered', () => ({ instance: toInstanceView(instance) }));
  }

  removed(instance: InstanceRecord, reason: ChangeReason): void {
    this.logger.log(`${instance.serviceType} ${instance.url} (${instance.id}) removed: ${reason}`);
    this.events.emit(REGISTRY_EVENTS.instanceRemoved, { instance, reason } satisfies InstanceEvent);
    this.history.forget(instance.id);
    this.write('instanceRemoved', () => ({ instance: toInstanceView(instance), reason }));
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
    if (!statusChange) {
      // A re-registration replaces the instance; an operator changed weight or metadata. A plain
      // heartbeat renewal is no event anyone watches for.
      if (reason === 'registration')
        this.write('instanceRegistered', () => ({
          instance: toInstanceView(instance),
          replaced: true,
        }));
      else if (reason === 'operator')
        this.write('instanceUpdated', () => ({ instance: toInstanceView(instance), reason }));
      return;
    }
    const detail = statusChange.to === 'UP' ? null : instance.lastError;
    this.logger.log(
      `${instance.serviceType} ${instance.url} ${statusChange.from} -> ${statusChange.to}${detail ? ` (${detail})` : ''}`,
    );
    this.events.emit(REGISTRY_EVENTS.statusChanged, {
      instance,
      ...statusChange,
    } satisfies StatusChangedEvent);
    this.history.record(instance.id, { at: new Date().toISOString(), ...statusChange, detail });
    this.write('instanceStatusChanged', () => ({
      instance: { id: instance.id, serviceType: instance.serviceType, url: instance.url },
      ...statusChange,
      detail,
    }));
  }

  /** A check's result; a failed one that changed no status goes into the instance's history too. */
  checked(
    instance: InstanceRecord,
    outcome: CheckOutcome,
    reason: HealthCheckEvent['reason'],
    statusChanged: boolean,
  ): void {
    this.events.emit(outcome.ok ? REGISTRY_EVENTS.checkPassed : REGISTRY_EVENTS.checkFailed, {
      instance,
      outcome,
      reason,
    } satisfies HealthCheckEvent);
    if (!outcome.ok && !statusChanged) {
      const entry: HistoryEntry = {
        at: instance.lastCheckAt ?? new Date().toISOString(),
        from: instance.status,
        to: instance.status,
        reason,
        detail: outcome.error,
      };
      this.history.record(instance.id, entry);
    }
    // Thousands a second at scale, and kept by no one: written only while someone reads along.
    if (!this.journal.hasReaders) return;
    this.write(
      outcome.ok ? 'healthCheckPassed' : 'healthCheckFailed',
      () => ({
        instance: { id: instance.id, serviceType: instance.serviceType, url: instance.url },
        responseTimeMs: outcome.responseTimeMs,
        error: outcome.error,
        reason,
      }),
      true,
    );
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
    this.write('routeAdded', () => ({ route: toRouteView(route) }));
  }

  routeRemoved(route: RouteRecord): void {
    this.events.emit(REGISTRY_EVENTS.routeRemoved, { route } satisfies RouteEvent);
    this.write('routeRemoved', () => ({ route: toRouteView(route) }));
  }

  /** `data` reads only records and values that never change: it may run long after (journal.ts). */
  private write(event: string, data: () => Record<string, unknown>, check = false): void {
    this.journal.append(new LazyJournalEntry(this.indexNow(), event, data, check));
  }
}
