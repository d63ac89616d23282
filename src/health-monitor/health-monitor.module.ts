import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { FleetModule } from '../fleet/fleet.module';
import { RegistryModule } from '../registry/registry.module';
import { CheckScheduler } from './check.scheduler';

/**
 * Active health checks (http, tcp), TTL heartbeats, thresholds, back-off and DEREGISTER_AFTER. Reads
 * and writes instances only through the registry it imports.
 */
@Module({
  imports: [ScheduleModule.forRoot(), RegistryModule, FleetModule],
  providers: [CheckScheduler],
})
export class HealthMonitorModule {}
