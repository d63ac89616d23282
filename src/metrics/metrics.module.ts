import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { FleetModule } from '../fleet/fleet.module';
import { ProxyModule } from '../proxy/proxy.module';
import { RegistryModule } from '../registry/registry.module';
import { MetricsController } from './metrics.controller';

/** Operator metrics: reads the registry and the gateway's counters; counts health results from events. */
@Module({
  imports: [AuthModule, RegistryModule, ProxyModule, FleetModule],
  controllers: [MetricsController],
})
export class MetricsModule {}
