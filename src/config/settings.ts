import type { RouteSpec } from '../model/route';

export type StoreKind = 'sqlite' | 'memory' | 'etcd';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'verbose';
export type LogFormat = 'json' | 'pretty';

export interface ServerSettings {
  host: string;
  adminPort: number;
  gatewayPort: number;
  logLevel: LogLevel;
  /** JSON lines for a log pipeline, or pino-pretty's coloured lines for people. */
  logFormat: LogFormat;
  /** One log line per gateway request. */
  accessLog: boolean;
  /** Zone of this gateway, for the `zone` balancer. */
  zone: string | null;
  /** On SIGTERM, how long readiness reports shutting_down before listeners close. */
  shutdownDelayMs: number;
  /** Give memory back when the process is quiet after its heap grew (runtime/). */
  heapTrim: boolean;
  /** Open watch streams at most; one more gets 503. */
  maxWatchers: number;
  /** This node's name in the fleet (host name + admin port unless NODE_ID says). */
  nodeId: string;
  /** A node that has not renewed its fleet membership for this long is gone. */
  nodeTtlMs: number;
  /** The Consul-compatible API's own listener (its routes at the root); null: only /v1 on admin. */
  consulPort: number | null;
  /** The datacenter the Consul-compatible API reports. */
  consulDatacenter: string;
  /** The gateway port speaks TLS (HTTP/2 and HTTP/1.1) with these certificates; null: plain HTTP. */
  gatewayTls: GatewayTlsSettings | null;
  /** A plain-HTTP listener answering 308 to https; null: none. Only with gatewayTls. */
  httpRedirectPort: number | null;
}

/** Where the gateway's certificates are: a default pair, a folder of pairs chosen by SNI, or both. */
export interface GatewayTlsSettings {
  certFile: string | null;
  keyFile: string | null;
  dir: string | null;
}

export interface AuthSettings {
  /** From the environment or the config file; when null, AuthKeysService generates and keeps one. */
  registrationKey: string | null;
  adminKey: string | null;
  trustedNetworks: string[];
  /** null means any source may register. */
  registrationAllowFrom: string[] | null;
  registrationRateLimit: number;
  /** A second bearer accepted by `/metrics` only, for scrapers; null: the admin key alone. */
  metricsToken: string | null;
}

export interface EtcdSettings {
  endpoints: string[];
  /** Every key Waypost writes lives under it; ends with '/'. */
  prefix: string;
  username: string | null;
  password: string | null;
  caFile: string | null;
}

export interface StoreSettings {
  kind: StoreKind;
  dataDir: string;
  etcd: EtcdSettings;
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
  /** Extra CA certificates (PEM) trusted for https backends and health checks; null: the system's. */
  upstreamCaFile: string | null;
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
