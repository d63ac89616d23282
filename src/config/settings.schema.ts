import { hostname } from 'node:os';
import { parseCidr } from '../common/cidr';
import { SECRET, SECRET_RULE } from '../common/secret';
import { parseApiKeys, parseConfigRoutes, parseServicePermissions } from './config-file.schema';
import { parseDuration } from '../model/duration';
import { LogFormat, LogLevel, Settings, StoreKind } from './settings';

/**
 * The one schema of Waypost's settings. Each entry names a setting as the contract does, says where
 * its default comes from and how to parse it; `parseSettings` runs every entry and collects one line
 * per bad setting.
 */

/** Values arrive from env (strings) or YAML (any type); a parser returns the value or throws. */
type Parser<T> = (raw: unknown) => T;

const text = (raw: unknown): string => {
  if (typeof raw === 'number') return String(raw);
  if (typeof raw !== 'string') throw new Error('must be a string');
  return raw.trim();
};

const integer =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const value =
      typeof raw === 'number' ? raw : /^\s*-?\d+\s*$/.test(text(raw)) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new Error(`must be a whole number from ${min} to ${max}`);
    }
    return value;
  };

const duration =
  (minMs: number, maxMs: number): Parser<number> =>
  (raw) => {
    const ms = parseDuration(typeof raw === 'string' ? raw.trim() : raw);
    if (ms === null)
      throw new Error('must be a duration such as 250ms, 5s, 2m or whole milliseconds');
    if (ms < minMs || ms > maxMs) throw new Error(`must be from ${minMs}ms to ${maxMs}ms`);
    return ms;
  };

const optionalDuration =
  (minMs: number, maxMs: number): Parser<number | null> =>
  (raw) =>
    ['', 'off', 'false', '0'].includes(String(raw).trim().toLowerCase())
      ? null
      : duration(minMs, maxMs)(raw);

const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw) => {
    const value = text(raw).toLowerCase() as T;
    if (!values.includes(value)) throw new Error(`must be one of ${values.join(', ')}`);
    return value;
  };

/** A secret is never echoed back in an error: only its shape is described. */
const secret: Parser<string | null> = (raw) => {
  const value = text(raw);
  if (value === '') return null;
  if (!SECRET.test(value)) throw new Error(`must be ${SECRET_RULE}`);
  return value;
};

const flag: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return raw;
  const value = text(raw).trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0' || value === '') return false;
  throw new Error('must be true or false');
};

const cidrList: Parser<string[]> = (raw) => {
  const items = Array.isArray(raw) ? raw.map(text) : text(raw).split(',');
  const cidrs = items.map((item) => item.trim()).filter((item) => item.length > 0);
  for (const cidr of cidrs) {
    try {
      parseCidr(cidr);
    } catch {
      throw new Error(`"${cidr.slice(0, 64)}" is not a CIDR such as 10.0.0.0/8 or fd00::/8`);
    }
  }
  return cidrs;
};

const optionalCidrList: Parser<string[] | null> = (raw) => {
  const value = Array.isArray(raw) ? raw : text(raw);
  if (value === '' || value === 'any' || value === '*') return null;
  return cidrList(raw);
};

const nullableText =
  (max: number): Parser<string | null> =>
  (raw) => {
    const value = text(raw);
    if (value.length > max || /[\u0000-\u001f]/.test(value))
      throw new Error(`must be at most ${max} printable characters`);
    return value === '' ? null : value;
  };

const optionalPort: Parser<number | null> = (raw) =>
  text(raw).trim() === '' ? null : integer(0, 65535)(raw);

const etcdEndpoints: Parser<string[]> = (raw) => {
  const items = (Array.isArray(raw) ? raw.map(text) : text(raw).split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) throw new Error('must name at least one client URL');
  for (const item of items) {
    let url: URL | null = null;
    try {
      url = new URL(item);
    } catch {
      // reported below
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.pathname.length > 1)
      throw new Error(`"${item.slice(0, 64)}" is not a client URL such as http://127.0.0.1:2379`);
  }
  return items;
};

const etcdPrefix: Parser<string> = (raw) => {
  const value = text(raw);
  if (!/^\/[A-Za-z0-9._\-/]{0,200}\/$/.test(value))
    throw new Error('must start and end with / and hold only letters, digits, . _ - /');
  return value;
};

/** Names etcd's own credentials: checked for shape only, never echoed. */
const credential: Parser<string | null> = (raw) => {
  const value = text(raw);
  if (value.length > 256 || /[\u0000-\u001f]/.test(value))
    throw new Error('must be at most 256 printable characters');
  return value === '' ? null : value;
};

interface SettingSpec<T> {
  names: string[];
  default: T;
  parse: Parser<T>;
}

function setting<T>(names: string | string[], defaultValue: T, parse: Parser<T>): SettingSpec<T> {
  return { names: Array.isArray(names) ? names : [names], default: defaultValue, parse };
}

const HOUR = 3_600_000;

export const SETTINGS = {
  host: setting('HOST', '0.0.0.0', nullableText(255) as Parser<string>),
  adminPort: setting('ADMIN_PORT', 8081, integer(0, 65535)),
  gatewayPort: setting('GATEWAY_PORT', 8080, integer(0, 65535)),
  gatewayTlsCert: setting<string | null>('GATEWAY_TLS_CERT', null, nullableText(4096)),
  gatewayTlsKey: setting<string | null>('GATEWAY_TLS_KEY', null, nullableText(4096)),
  gatewayTlsDir: setting<string | null>('GATEWAY_TLS_DIR', null, nullableText(4096)),
  httpRedirectPort: setting<number | null>('GATEWAY_HTTP_REDIRECT_PORT', null, optionalPort),
  upstreamCaFile: setting<string | null>('UPSTREAM_CA_FILE', null, nullableText(4096)),
  logLevel: setting<LogLevel>(
    'LOG_LEVEL',
    'info',
    oneOf('error', 'warn', 'info', 'debug', 'verbose'),
  ),
  logFormat: setting<LogFormat>('LOG_FORMAT', 'json', oneOf('json', 'pretty')),
  accessLog: setting('ACCESS_LOG', false, flag),
  zone: setting<string | null>('ZONE', null, nullableText(64)),
  shutdownDelay: setting('SHUTDOWN_DELAY', 0, duration(0, 10 * 60_000)),
  heapTrim: setting('HEAP_TRIM', true, flag),
  registrationKey: setting<string | null>(
    ['REGISTRATION_KEY', 'SERVICE_REGISTRATION_KEY'],
    null,
    secret,
  ),
  adminKey: setting<string | null>('ADMIN_KEY', null, secret),
  metricsToken: setting<string | null>('METRICS_TOKEN', null, secret),
  trustedNetworks: setting<string[]>('TRUSTED_NETWORKS', [], cidrList),
  registrationAllowFrom: setting<string[] | null>(
    'REGISTRATION_ALLOW_FROM',
    null,
    optionalCidrList,
  ),
  registrationRateLimit: setting('REGISTRATION_RATE_LIMIT', 60, integer(1, 1_000_000)),
  store: setting<StoreKind>('STORE', 'sqlite', oneOf('sqlite', 'memory', 'etcd')),
  etcdEndpoints: setting('ETCD_ENDPOINTS', ['http://127.0.0.1:2379'], etcdEndpoints),
  etcdPrefix: setting('ETCD_PREFIX', '/waypost/', etcdPrefix),
  etcdUsername: setting<string | null>('ETCD_USERNAME', null, credential),
  etcdPassword: setting<string | null>('ETCD_PASSWORD', null, credential),
  etcdCaFile: setting<string | null>('ETCD_CA_FILE', null, nullableText(4096)),
  nodeId: setting<string | null>('NODE_ID', null, nullableText(128)),
  consulPort: setting<number | null>('CONSUL_PORT', null, optionalPort),
  consulDatacenter: setting('CONSUL_DATACENTER', 'dc1', nullableText(64) as Parser<string>),
  nodeTtl: setting('NODE_TTL', 10_000, duration(2_000, 10 * 60_000)),
  dataDir: setting('DATA_DIR', './data', nullableText(4096) as Parser<string>),
  interval: setting('HEALTH_CHECK_INTERVAL', 10_000, duration(100, 24 * HOUR)),
  timeout: setting('HEALTH_CHECK_TIMEOUT', 2_000, duration(10, HOUR)),
  unhealthyThreshold: setting('UNHEALTHY_THRESHOLD', 3, integer(1, 1000)),
  healthyThreshold: setting('HEALTHY_THRESHOLD', 1, integer(1, 1000)),
  downInterval: setting('DOWN_CHECK_INTERVAL', 120_000, duration(100, 24 * HOUR)),
  stopChecksAfter: setting('STOP_CHECKS_AFTER', 10, integer(1, 1_000_000)),
  deregisterAfter: setting<number | null>(
    'DEREGISTER_AFTER',
    null,
    optionalDuration(1_000, 365 * 24 * HOUR),
  ),
  concurrency: setting('HEALTH_CHECK_CONCURRENCY', 64, integer(1, 10_000)),
  proxyTimeout: setting('PROXY_TIMEOUT', 30_000, duration(1, HOUR)),
  maxWatchers: setting('MAX_WATCHERS', 10_000, integer(0, 1_000_000)),
};

/** Top-level keys of the config file besides the settings above. */
const FILE_SECTIONS = {
  routes: parseConfigRoutes,
  apiKeys: parseApiKeys,
  services: parseServicePermissions,
};

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SettingsError';
  }
}

export interface SettingsSources {
  env: Record<string, string | undefined>;
  /** The parsed config file: a map of setting names and sections. */
  file: Record<string, unknown>;
  /** Name of the file, for error lines. */
  fileName?: string;
}

/** Merges env > config file > defaults and validates the result; throws SettingsError listing every problem. */
export function parseSettings(sources: SettingsSources): Settings {
  const problems: string[] = [];
  const known = new Set<string>(Object.keys(FILE_SECTIONS));
  const values: Record<string, unknown> = {};

  for (const [key, spec] of Object.entries(SETTINGS) as [string, SettingSpec<unknown>][]) {
    spec.names.forEach((name) => known.add(name));
    const fromEnv = spec.names.map((name) => sources.env[name]).find((v) => v !== undefined);
    const fromFile = spec.names.map((name) => sources.file[name]).find((v) => v !== undefined);
    const name = spec.names[0];
    const raw = fromEnv ?? fromFile;
    try {
      values[key] = raw === undefined ? spec.default : spec.parse(raw);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }

  const sections: Record<string, unknown> = {};
  for (const [key, parse] of Object.entries(FILE_SECTIONS)) {
    try {
      sections[key] =
        sources.file[key] === undefined
          ? parse(key === 'services' ? {} : [])
          : parse(sources.file[key]);
    } catch (error) {
      problems.push(`${sources.fileName ?? 'config file'} ${key}: ${(error as Error).message}`);
    }
  }
  for (const key of Object.keys(sources.file)) {
    if (!known.has(key))
      problems.push(`${sources.fileName ?? 'config file'}: unknown key ${key.slice(0, 64)}`);
  }

  if (problems.length === 0 && values.adminPort !== 0 && values.adminPort === values.gatewayPort) {
    problems.push('GATEWAY_PORT: must differ from ADMIN_PORT');
  }
  const consulPort = values.consulPort as number | null;
  if (
    problems.length === 0 &&
    consulPort !== null &&
    consulPort !== 0 &&
    (consulPort === values.adminPort || consulPort === values.gatewayPort)
  ) {
    problems.push('CONSUL_PORT: must differ from ADMIN_PORT and GATEWAY_PORT');
  }
  const tlsPairProblem = gatewayTlsProblem(values);
  if (problems.length === 0 && tlsPairProblem !== null) problems.push(tlsPairProblem);
  if (
    problems.length === 0 &&
    values.registrationKey !== null &&
    values.registrationKey === values.adminKey
  ) {
    problems.push('ADMIN_KEY: must differ from REGISTRATION_KEY');
  }
  const metricsToken = values.metricsToken as string | null;
  if (
    problems.length === 0 &&
    metricsToken !== null &&
    (metricsToken === values.adminKey || metricsToken === values.registrationKey)
  ) {
    // A scraper's token is stored in Prometheus' config: it must not open anything else.
    problems.push('METRICS_TOKEN: must differ from ADMIN_KEY and REGISTRATION_KEY');
  }
  if (problems.length > 0) throw new SettingsError(problems);

  const v = values as {
    [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K]['default'];
  };
  return {
    server: {
      host: v.host,
      adminPort: v.adminPort,
      gatewayPort: v.gatewayPort,
      logLevel: v.logLevel,
      logFormat: v.logFormat,
      accessLog: v.accessLog,
      zone: v.zone,
      shutdownDelayMs: v.shutdownDelay,
      heapTrim: v.heapTrim,
      maxWatchers: v.maxWatchers,
      nodeId: v.nodeId ?? `${hostname()}:${v.adminPort}`,
      nodeTtlMs: v.nodeTtl,
      consulPort: v.consulPort,
      consulDatacenter: v.consulDatacenter,
      gatewayTls:
        v.gatewayTlsCert === null && v.gatewayTlsDir === null
          ? null
          : { certFile: v.gatewayTlsCert, keyFile: v.gatewayTlsKey, dir: v.gatewayTlsDir },
      httpRedirectPort: v.httpRedirectPort,
    },
    auth: {
      registrationKey: v.registrationKey,
      adminKey: v.adminKey,
      trustedNetworks: v.trustedNetworks,
      registrationAllowFrom: v.registrationAllowFrom,
      registrationRateLimit: v.registrationRateLimit,
      metricsToken: v.metricsToken,
    },
    store: {
      kind: v.store,
      dataDir: v.dataDir,
      etcd: {
        endpoints: v.etcdEndpoints,
        prefix: v.etcdPrefix,
        username: v.etcdUsername,
        password: v.etcdPassword,
        caFile: v.etcdCaFile,
      },
    },
    health: {
      intervalMs: v.interval,
      timeoutMs: v.timeout,
      unhealthyThreshold: v.unhealthyThreshold,
      healthyThreshold: v.healthyThreshold,
      downIntervalMs: v.downInterval,
      stopChecksAfter: v.stopChecksAfter,
      deregisterAfterMs: v.deregisterAfter,
      concurrency: v.concurrency,
    },
    proxy: {
      timeoutMs: v.proxyTimeout,
      upstreamCaFile: v.upstreamCaFile,
      routes: sections.routes as Settings['proxy']['routes'],
      apiKeys: sections.apiKeys as Settings['proxy']['apiKeys'],
      servicePermissions: sections.services as Settings['proxy']['servicePermissions'],
    },
  };
}

/** TLS needs a whole pair (or a folder of pairs); the redirect listener needs TLS and a port of its own. */
function gatewayTlsProblem(values: Record<string, unknown>): string | null {
  const cert = values.gatewayTlsCert !== null;
  const key = values.gatewayTlsKey !== null;
  if (cert !== key)
    return cert
      ? 'GATEWAY_TLS_KEY: must be set with GATEWAY_TLS_CERT'
      : 'GATEWAY_TLS_CERT: must be set with GATEWAY_TLS_KEY';
  const redirect = values.httpRedirectPort as number | null;
  if (redirect === null) return null;
  if (!cert && values.gatewayTlsDir === null)
    return 'GATEWAY_HTTP_REDIRECT_PORT: needs GATEWAY_TLS_CERT and GATEWAY_TLS_KEY, or GATEWAY_TLS_DIR';
  const taken = [values.adminPort, values.gatewayPort, values.consulPort];
  if (redirect !== 0 && taken.includes(redirect))
    return 'GATEWAY_HTTP_REDIRECT_PORT: must differ from ADMIN_PORT, GATEWAY_PORT and CONSUL_PORT';
  return null;
}
