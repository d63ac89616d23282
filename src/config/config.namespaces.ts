import { DynamicModule } from '@nestjs/common';
import { ConfigFactory, ConfigModule, registerAs } from '@nestjs/config';
import {
  AuthSettings,
  HealthSettings,
  ProxySettings,
  ServerSettings,
  Settings,
  StoreSettings,
} from './settings';

/**
 * Typed namespaces. Code injects one as `@Inject(healthConfig.KEY) cfg: ConfigType<typeof healthConfig>`.
 * The factories here only give the tokens and types: each app loads its own validated Settings
 * through `namespacesFor`, so two apps in one process (as in the e2e tests) never share settings.
 */
const unloaded = (): never => {
  throw new Error('settings are loaded per app by namespacesFor()');
};

export const serverConfig = registerAs('server', (): ServerSettings => unloaded());
export const authConfig = registerAs('auth', (): AuthSettings => unloaded());
export const storeConfig = registerAs('store', (): StoreSettings => unloaded());
export const healthConfig = registerAs('health', (): HealthSettings => unloaded());
export const proxyConfig = registerAs('proxy', (): ProxySettings => unloaded());

/** The same namespaces (same tokens) bound to one app's settings. */
export function namespacesFor(settings: Settings): ConfigFactory[] {
  return [
    registerAs('server', () => settings.server),
    registerAs('auth', () => settings.auth),
    registerAs('store', () => settings.store),
    registerAs('health', () => settings.health),
    registerAs('proxy', () => settings.proxy),
  ];
}

/** The global ConfigModule of one app, holding its validated settings and nothing from the process. */
export function configModuleFor(settings: Settings): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    skipProcessEnv: true,
    load: namespacesFor(settings),
  });
}
