import { Module } from '@nestjs/common';
import { FleetService } from './fleet.service';

/**
 * This node among the others on one etcd: the client, membership, check claims as everyone sees
 * them, shared keys. On a single node it only knows this node's name.
 */
@Module({
  providers: [FleetService],
  exports: [FleetService],
})
export class FleetModule {}
