import { Module } from '@nestjs/common';
import { Telemetry } from './telemetry';

/** The app's metric series, for the modules that write them and the one that serves them. */
@Module({
  providers: [Telemetry],
  exports: [Telemetry],
})
export class TelemetryModule {}
