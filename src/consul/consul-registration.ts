import { normalizeAddress } from '../common/cidr';
import { AppError } from '../common/errors/app-error';
import { NO_CONTROL_CHARS, SERVICE_TYPE } from '../common/validation';
import { CHECK_STATUSES, CheckDeclaration, CheckStatus } from '../model/check';
import { DEFAULT_TTL_MS, defaultCheckSpec, HealthCheckSpec, instanceUrl } from '../model/instance';
import type { InstanceInput } from '../registry/lifecycle/instance-lifecycle';
import { foldKeys } from './consul-keys';
import { parseGoDuration } from './go-duration';

/**
 * `PUT /v1/agent/service/register` as Waypost's registration: Name → service type, ID (default
 * Name) → the instance id, Address/Port, Tags, Meta → metadata, Check/Checks → the instance's
 * checks. Unknown fields are ignored, as Consul does; what Waypost cannot honour (script, gRPC,
 * Docker checks) is refused, so nothing is registered half. Pure.
 */

const CONSUL_ID = /^[^/\\\s\u0000-\u001f?#%]{1,128}$/;
const HOST = /^[A-Za-z0-9.:_-]{1,253}$/;
const MAX_CHECKS = 16;
const MAX_TAGS = 64;
const MAX_META = 64;

function bad(message: string): never {
  throw new AppError('VALIDATION_FAILED', message);
}

/** A string the registry can keep: bounded, and without control characters (as its own API). */
function text(value: unknown, field: string, max = 256): string {
  if (typeof value !== 'string' || value.length > max || !NO_CONTROL_CHARS.test(value))
    bad(`${field} must be a string of at most ${max} printable characters`);
  return value;
}

function duration(value: unknown, field: string, minMs: number): number {
  const ms = parseGoDuration(value);
  if (ms === null || ms < minMs || ms > 86_400_000)
    bad(
      value === undefined
        ? `${field} is required`
        : `${field}: invalid duration ${String(JSON.stringify(value)).slice(0, 40)}`,
    );
  return ms;
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    bad(`${field} must be an object of strings`);
  const entries = Object.entries(value);
  if (entries.length > MAX_META) bad(`${field} has more than ${MAX_META} keys`);
  const map: Record<string, string> = {};
  for (const [key, inner] of entries)
    map[text(key, `${field} key`, 128)] = text(inner, `${field}.${key}`, 512);
  return map;
}

function tagsOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_TAGS)
    bad(`Tags must be a list of at most ${MAX_TAGS} strings`);
  return value.map((tag) => text(tag, 'Tags', 128));
}

function statusOf(value: unknown): CheckStatus {
  if (value === undefined || value === null || value === '') return 'critical';
  if (!CHECK_STATUSES.includes(value as CheckStatus))
    bad(`Status must be one of ${CHECK_STATUSES.join(', ')}`);
  return value as CheckStatus;
}

interface ParsedCheck {
  declaration: CheckDeclaration;
  deregisterAfter: number | null;
}

function checkOf(raw: unknown, index: number, single: boolean): ParsedCheck {
  const label = single ? 'Check' : `Checks[${index}]`;
  const check = foldKeys(raw);
  if (!check) bad(`${label} must be an object`);
  const base = {
    id:
      check.checkid === undefined || check.checkid === ''
        ? null
        : text(check.checkid, 'CheckID', 128),
    name: check.name === undefined ? `Service check ${index + 1}` : text(check.name, 'Check Name'),
    timeout: check.timeout === undefined ? null : duration(check.timeout, 'Timeout', 10),
    initialStatus: statusOf(check.status),
    path: '/',
    ttl: null,
    interval: null,
  };
  if (base.id !== null && !CONSUL_ID.test(base.id)) bad('CheckID has a forbidden character');
  const deregisterAfter =
    check.deregistercriticalserviceafter === undefined ||
    check.deregistercriticalserviceafter === ''
      ? null
      : duration(check.deregistercriticalserviceafter, 'DeregisterCriticalServiceAfter', 100);
  if (check.http !== undefined && check.http !== '') {
    const url = text(check.http, 'HTTP', 2048);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      bad('HTTP must be a URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      bad('HTTP must be an http(s) URL');
    const interval = duration(check.interval, 'Interval', 100);
    return { declaration: { ...base, type: 'http', target: url, interval }, deregisterAfter };
  }
  if (check.tcp !== undefined && check.tcp !== '') {
    const target = text(check.tcp, 'TCP', 260);
    const port = Number(target.slice(target.lastIndexOf(':') + 1));
    if (!target.includes(':') || !Number.isInteger(port) || port < 1 || port > 65535)
      bad('TCP must be host:port');
    const interval = duration(check.interval, 'Interval', 100);
    return { declaration: { ...base, type: 'tcp', target, interval }, deregisterAfter };
  }
  if (check.ttl !== undefined && check.ttl !== '') {
    const ttl = duration(check.ttl, 'TTL', 100);
    return { declaration: { ...base, type: 'ttl', target: null, ttl }, deregisterAfter };
  }
  bad(`${label}: only HTTP, TCP and TTL checks are supported (with Interval for HTTP and TCP)`);
}

/** The native `healthCheck` a Consul registration shows: its first check, summarized. */
function summaryOf(checks: readonly CheckDeclaration[]): HealthCheckSpec {
  const first = checks[0];
  if (!first) return defaultCheckSpec('none');
  const path = first.type === 'http' && first.target ? new URL(first.target).pathname : first.path;
  return {
    type: first.type,
    path,
    interval: first.interval,
    timeout: first.timeout,
    ttl: first.type === 'ttl' ? (first.ttl ?? DEFAULT_TTL_MS) : null,
  };
}

/** A Consul registration body (already JSON-parsed) as the registry's input. */
export function consulRegistration(
  body: unknown,
  callerAddress: string | undefined,
): InstanceInput {
  const service = foldKeys(body);
  if (!service) bad('Request decode failed: the body must be a JSON object');
  const name = text(service.name, 'Name', 64);
  if (!SERVICE_TYPE.test(name)) bad('Name must be 1-64 letters, digits, ".", "_" or "-"');
  const id = service.id === undefined || service.id === '' ? name : text(service.id, 'ID', 128);
  if (!CONSUL_ID.test(id)) bad('ID has a forbidden character');
  const address =
    service.address === undefined || service.address === ''
      ? normalizeAddress(callerAddress ?? '127.0.0.1')
      : text(service.address, 'Address', 253);
  if (!HOST.test(address)) bad('Address must be a host name or an IP address');
  const port = service.port === undefined || service.port === null ? 0 : service.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    bad('Port must be an integer from 0 to 65535');
  const rawChecks =
    service.checks ??
    (service.check === undefined || service.check === null ? [] : [service.check]);
  if (!Array.isArray(rawChecks) || rawChecks.length > MAX_CHECKS)
    bad(`Checks must be a list of at most ${MAX_CHECKS}`);
  const single = service.checks === undefined;
  const parsed = rawChecks.map((raw, index) => checkOf(raw, index, single));
  const deregisterAfters = parsed.flatMap((check) =>
    check.deregisterAfter === null ? [] : [check.deregisterAfter],
  );
  const checks = parsed.map((check) => check.declaration);
  return {
    serviceType: name,
    id,
    host: address,
    port,
    url: instanceUrl(address, port),
    healthCheck: summaryOf(checks),
    checks,
    deregisterAfter: deregisterAfters.length ? Math.min(...deregisterAfters) : null,
    metadata: stringMap(service.meta, 'Meta'),
    tags: tagsOf(service.tags),
    version: null,
    zone: null,
    weight: 1,
    origin: 'consul',
  };
}
