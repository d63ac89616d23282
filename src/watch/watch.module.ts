import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RegistryModule } from '../registry/registry.module';
import { WatchController } from './watch.controller';
import { WatchersService } from './watchers.service';

/** Push discovery over Server-Sent Events, fed by the registry's change log. */
@Module({
  imports: [AuthModule, RegistryModule],
  controllers: [WatchController],
  providers: [WatchersService],
  exports: [WatchersService],
})
export class WatchModule {}
