import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { GatewayServer } from './gateway.server';

/** The data plane: owns the gateway listener, built once at boot with its dependencies from DI. */
@Module({
  imports: [RegistryModule],
  providers: [GatewayServer],
  exports: [GatewayServer],
})
export class ProxyModule {}
