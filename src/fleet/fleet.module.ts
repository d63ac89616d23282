import { Module } from '@nestjs/common';
import { CHECK_OWNERSHIP, SoloOwnership } from './check-ownership';

/**
 * What a node needs to know of the other nodes: who checks which instance. One node checks all.
 */
@Module({
  providers: [{ provide: CHECK_OWNERSHIP, useClass: SoloOwnership }],
  exports: [CHECK_OWNERSHIP],
})
export class FleetModule {}
