import { DynamicModule, Module, Provider } from '@nestjs/common';
import { Waypost } from '@waypost/client';
import type { WaypostModuleAsyncOptions, WaypostModuleOptions } from './options';
import { WAYPOST, WAYPOST_OPTIONS } from './tokens';
import { WaypostLifecycle } from './waypost.lifecycle';

const client: Provider = {
  provide: WAYPOST,
  inject: [WAYPOST_OPTIONS],
  useFactory: (options: WaypostModuleOptions) => new Waypost(options),
};

/**
 * `WaypostModule.forRoot({ url, registrationKey, service: { serviceType: 'orders' } })`: the app
 * registers once it listens and leaves cleanly on shutdown; `@InjectWaypost()` anywhere (global).
 * The Terminus indicator is `WaypostHealthIndicator` from `@waypost/nestjs/health` (it needs
 * `@nestjs/terminus`, so it is not loaded otherwise): list it among the providers of the module
 * that runs the app's health checks.
 */
@Module({})
export class WaypostModule {
  static forRoot(options: WaypostModuleOptions): DynamicModule {
    return WaypostModule.with([{ provide: WAYPOST_OPTIONS, useValue: options }], []);
  }

  /** Options from elsewhere, e.g. `@nestjs/config`: `inject: [ConfigService]`. */
  static forRootAsync(options: WaypostModuleAsyncOptions): DynamicModule {
    return WaypostModule.with(
      [
        {
          provide: WAYPOST_OPTIONS,
          inject: (options.inject ?? []) as never[],
          useFactory: options.useFactory,
        },
      ],
      options.imports ?? [],
    );
  }

  private static with(optionProviders: Provider[], imports: unknown[]): DynamicModule {
    return {
      module: WaypostModule,
      global: true,
      imports: imports as DynamicModule['imports'],
      providers: [...optionProviders, client, WaypostLifecycle],
      exports: [WAYPOST],
    };
  }
}
