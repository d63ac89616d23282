import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { HealthCheckEvent, REGISTRY_EVENTS } from '../model/events';
import { Telemetry } from '../telemetry/telemetry';

/** Counts what the registry announces: health check results and committed changes. */
@Injectable()
export class EventCounters {
  constructor(private readonly telemetry: Telemetry) {}

  @OnEvent(REGISTRY_EVENTS.checkPassed)
  onPassed(event: HealthCheckEvent): void {
    this.check(event, 'passed');
  }

  @OnEvent(REGISTRY_EVENTS.checkFailed)
  onFailed(event: HealthCheckEvent): void {
    this.check(event, 'failed');
  }

  @OnEvent(REGISTRY_EVENTS.instanceRegistered)
  onRegistered(): void {
    this.telemetry.registryChanges.inc({ op: 'register' });
  }

  @OnEvent(REGISTRY_EVENTS.instanceUpdated)
  onUpdated(): void {
    this.telemetry.registryChanges.inc({ op: 'update' });
  }

  @OnEvent(REGISTRY_EVENTS.instanceRemoved)
  onRemoved(): void {
    this.telemetry.registryChanges.inc({ op: 'deregister' });
  }

  @OnEvent(REGISTRY_EVENTS.routeAdded)
  onRouteAdded(): void {
    this.telemetry.registryChanges.inc({ op: 'route_add' });
  }

  @OnEvent(REGISTRY_EVENTS.routeRemoved)
  onRouteRemoved(): void {
    this.telemetry.registryChanges.inc({ op: 'route_remove' });
  }

  private check({ instance, outcome, reason }: HealthCheckEvent, result: string): void {
    this.telemetry.healthChecks.inc({ service: instance.serviceType, result });
    // Only an active probe took time; a missed ttl or a failed request of live traffic did not.
    if (reason === 'check')
      this.telemetry.healthCheckDuration.observe(outcome.responseTimeMs / 1000);
  }
}
