import { Module } from '@nestjs/common';
import { INSTANCE_CREDENTIALS_VERIFIER } from '../auth/auth.constants';
import { AuthModule } from '../auth/auth.module';
import { FleetModule } from '../fleet/fleet.module';
import { InstanceGuard } from '../auth/guards/instance.guard';
import { CompatController } from './compat.controller';
import { DiscoveryFastPath } from './discovery-fast-path';
import { RegistryService } from './registry.service';
import { ServicesController } from './services.controller';
import { registryStoreProvider } from './store/store.provider';
import { REGISTRY_STORE } from './store/registry-store';

/**
 * Services, instances and routes: the native and compatibility APIs over one model. Exports the
 * registry for the health monitor, the gateway and /health.
 */
@Module({
  imports: [AuthModule, FleetModule],
  controllers: [ServicesController, CompatController],
  providers: [
    registryStoreProvider,
    RegistryService,
    { provide: INSTANCE_CREDENTIALS_VERIFIER, useExisting: RegistryService },
    InstanceGuard,
    DiscoveryFastPath,
  ],
  // The verifier goes along: the instance guard of other modules' controllers (watch) needs it.
  exports: [RegistryService, REGISTRY_STORE, INSTANCE_CREDENTIALS_VERIFIER],
})
export class RegistryModule {}
