import { Module } from '@nestjs/common';
import { IdleHeapTrim } from './idle-heap-trim.service';

/** The process itself: memory given back when it is quiet. */
@Module({
  providers: [IdleHeapTrim],
})
export class RuntimeModule {}
