import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RegistryService } from '../registry/registry.service';

/** Readiness: the store answers, and takes writes (a full disk makes it 503 until it does again). */
@Injectable()
export class StoreHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly registry: RegistryService,
  ) {}

  isHealthy(key: string) {
    const indicator = this.indicators.check(key);
    return this.registry.ping()
      ? indicator.up()
      : indicator.down({ message: 'the store does not answer or cannot write' });
  }
}
