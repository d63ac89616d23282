import type { RouteSpec } from '../model/route';

export type StoreKind = 'sqlite' | 'memory';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'verbose';

export interface ServerSettings {
  host: string;
  adminPort: number;
  gatewayPort: number;
  logLevel: LogLevel;
  /** Zone of this gateway, for the `zone` balancer. */
  zone: string | null;
  /** On SIGTERM, how long readiness reports shutting_down before listeners close. */
  shutdownDelayMs: number;
  /** Open watch streams at most; one more gets 503. */
  maxWatchers: number;
}

export interface AuthSettings {
  /** From the environment or the config file; when null, AuthKeysService generates and keeps one. */
  registrationKey: string | null;
  adminKey: string | null;
  trustedNetworks: string[];
  /** null means any source may register. */
  registrationAllowFrom: string[] | null;
  registrationRateLimit: number;
}

export interface StoreSettings {
  kind: StoreKind;
  dataDir: string;
}

export interface HealthSettings {
  intervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  downIntervalMs: number;
  stopChecksAfter: number;
  deregisterAfterMs: number | null;
  concurrency: number;
}

export interface ApiKeySpec {
  name: string;
  key: string;
  permissions: string[];
}

export interface ProxySettings {
  /** Backend timeout of a route that sets none. */
  timeoutMs: number;
  /** Static routes from the config file: they can never be shadowed by registered ones. */
  routes: RouteSpec[];
  apiKeys: ApiKeySpec[];
  /** What each service may register: permission names it may put on its routes. */
  servicePermissions: Record<string, string[]>;
}

export interface Settings {
  server: ServerSettings;
  auth: AuthSettings;
  store: StoreSettings;
  health: HealthSettings;
  proxy: ProxySettings;
}
