import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { FleetModule } from '../fleet/fleet.module';
import { FleetService } from '../fleet/fleet.service';
import { RegistryModule } from '../registry/registry.module';
import { CheckClaims } from './check-claims';
import { CHECK_OWNERSHIP, SoloOwnership } from './check-ownership';
import { CheckScheduler } from './check.scheduler';

/**
 * Active health checks (http, tcp), TTL heartbeats, thresholds, back-off and DEREGISTER_AFTER. Reads
 * and writes instances only through the registry it imports; on a fleet, checks only the
 * instances this node claimed.
 */
@Module({
  imports: [ScheduleModule.forRoot(), RegistryModule, FleetModule],
  providers: [
    CheckScheduler,
    CheckClaims,
    {
      provide: CHECK_OWNERSHIP,
      inject: [FleetService, CheckClaims],
      useFactory: (fleet: FleetService, claims: CheckClaims) =>
        fleet.enabled ? claims : new SoloOwnership(),
    },
  ],
  exports: [CHECK_OWNERSHIP],
})
export class HealthMonitorModule {}
