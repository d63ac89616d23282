import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { GatewayServer } from './gateway.server';
import { GatewayStats } from './gateway-stats';
import { ProxyHandler } from './proxy.handler';
import { RoutingService } from './routing.service';
import { UpstreamPools } from './upstream-pools';

/** The data plane: owns the gateway listener, built once at boot with its dependencies from DI. */
@Module({
  imports: [RegistryModule],
  providers: [GatewayServer, GatewayStats, ProxyHandler, RoutingService, UpstreamPools],
  exports: [GatewayServer, GatewayStats],
})
export class ProxyModule {}
