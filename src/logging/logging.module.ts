import { DynamicModule, Module } from '@nestjs/common';
import type { Logger as Pino } from 'pino';

/** The injection token of the process's pino logger. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** Gives the app's pino logger (created before Nest, since Fastify and Nest's Logger use it too). */
@Module({})
export class LoggingModule {
  static forRoot(logger: Pino): DynamicModule {
    return {
      module: LoggingModule,
      global: true,
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
      exports: [ROOT_LOGGER],
    };
  }
}
