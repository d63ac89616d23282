import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RegistryModule } from '../registry/registry.module';
import { ConsulAuthGuard } from './consul-auth.guard';
import { ConsulController } from './consul.controller';

/** Consul's HTTP API (the subset its clients use) over the registry, at `/v1` on the admin port. */
@Module({
  imports: [AuthModule, RegistryModule],
  controllers: [ConsulController],
  providers: [ConsulAuthGuard],
})
export class ConsulModule {}
