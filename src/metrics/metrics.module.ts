import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { FleetModule } from '../fleet/fleet.module';
import { RegistryModule } from '../registry/registry.module';
import { TelemetryModule } from '../telemetry/telemetry.module';
import { WatchModule } from '../watch/watch.module';
import { EventCounters } from './event-counters';
import { MetricsController } from './metrics.controller';
import { StateGauges } from './state-gauges';

/** `/metrics`: serves the app's series, adds those read from state and those counted from events. */
@Module({
  imports: [AuthModule, RegistryModule, TelemetryModule, WatchModule, FleetModule],
  controllers: [MetricsController],
  providers: [EventCounters, StateGauges],
})
export class MetricsModule {}
