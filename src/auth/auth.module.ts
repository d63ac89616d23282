import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { AuthKeysService } from './auth-keys.service';
import { AdminGuard } from './guards/admin.guard';
import { CompatCallerGuard } from './guards/compat-caller.guard';
import { MetricsGuard } from './guards/metrics.guard';
import { RegistrationGuard } from './guards/registration.guard';
import { NetworkPolicyService } from './network-policy.service';

/**
 * Keys, network policy and guards. Depends on no feature module: the instance guard asks for
 * INSTANCE_CREDENTIALS_VERIFIER, which the module that uses it (the registry) provides. Generated
 * keys of a fleet are kept in etcd (FleetModule).
 */
@Module({
  imports: [FleetModule],
  providers: [
    AuthKeysService,
    NetworkPolicyService,
    RegistrationGuard,
    CompatCallerGuard,
    AdminGuard,
    MetricsGuard,
  ],
  exports: [
    AuthKeysService,
    NetworkPolicyService,
    RegistrationGuard,
    CompatCallerGuard,
    AdminGuard,
    MetricsGuard,
  ],
})
export class AuthModule {}
