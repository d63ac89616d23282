import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { GatewayRules } from './gateway-rules';
import { GatewayServer } from './gateway.server';
import { GatewayStats } from './gateway-stats';
import { InFlight } from './in-flight';
import { ProxyHandler } from './proxy.handler';
import { RoutingService } from './routing.service';
import { UpgradeHandler } from './upgrade.handler';
import { UpstreamPools } from './upstream-pools';

/** The data plane: owns the gateway listener, built once at boot with its dependencies from DI. */
@Module({
  imports: [RegistryModule],
  providers: [
    GatewayServer,
    GatewayStats,
    GatewayRules,
    InFlight,
    ProxyHandler,
    RoutingService,
    UpgradeHandler,
    UpstreamPools,
  ],
  exports: [GatewayServer, GatewayStats],
})
export class ProxyModule {}
