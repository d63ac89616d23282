import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FleetModule } from '../fleet/fleet.module';
import { RegistryModule } from '../registry/registry.module';
import { HealthController } from './health.controller';
import { StoreHealthIndicator } from './store.health';

/** `/health` (the contract's summary), `/health/live` and `/health/ready` (Terminus). */
@Module({})
export class HealthModule {
  static forRoot(options: { shutdownDelayMs: number }): DynamicModule {
    return {
      module: HealthModule,
      imports: [
        RegistryModule,
        FleetModule,
        TerminusModule.forRoot({
          gracefulShutdownTimeoutMs: options.shutdownDelayMs,
          logger: false,
        }),
      ],
      controllers: [HealthController],
      providers: [StoreHealthIndicator],
    };
  }
}
