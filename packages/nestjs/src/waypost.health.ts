import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Waypost } from '@waypost/client';
import { WAYPOST } from './tokens';

/**
 * For the app's own Terminus checks: up while this instance is registered and not DOWN in the
 * registry's last answer; `checks: [() => waypost.isHealthy('waypost')]`.
 */
@Injectable()
export class WaypostHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(WAYPOST) private readonly waypost: Waypost,
  ) {}

  isHealthy(key = 'waypost') {
    const indicator = this.indicators.check(key);
    const instance = this.waypost.instance;
    if (!instance) return indicator.down({ message: 'not registered' });
    const details = { instanceId: instance.id, instanceStatus: instance.status };
    return instance.status === 'DOWN' ? indicator.down(details) : indicator.up(details);
  }
}
