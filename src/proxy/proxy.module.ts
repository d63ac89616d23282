import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RegistryModule } from '../registry/registry.module';
import { TelemetryModule } from '../telemetry/telemetry.module';
import { AccessLog } from './access-log';
import { GatewayRules } from './gateway-rules';
import { GatewayServer } from './gateway.server';
import { InFlight } from './in-flight';
import { ProxyHandler } from './proxy.handler';
import { RouteExplainController } from './route-explain.controller';
import { RoutingService } from './routing.service';
import { UpgradeHandler } from './upgrade.handler';
import { UpstreamPools } from './upstream-pools';

/** The data plane: owns the gateway listener, built once at boot with its dependencies from DI. */
@Module({
  imports: [AuthModule, RegistryModule, TelemetryModule],
  controllers: [RouteExplainController],
  providers: [
    AccessLog,
    GatewayServer,
    GatewayRules,
    InFlight,
    ProxyHandler,
    RoutingService,
    UpgradeHandler,
    UpstreamPools,
  ],
  exports: [GatewayServer],
})
export class ProxyModule {}
