import type { RegisterInput, WaypostOptions } from '@waypost/client';

export interface WaypostModuleOptions extends WaypostOptions {
  /** This service as it registers; `port` defaults to the port the app listens on. */
  service: Omit<RegisterInput, 'port'> & { port?: number };
  /** On shutdown: drained this long before it deregisters (default 5s). */
  drainFor?: string | number;
}

export interface WaypostModuleAsyncOptions {
  imports?: unknown[];
  inject?: unknown[];
  useFactory: (...args: never[]) => WaypostModuleOptions | Promise<WaypostModuleOptions>;
}
