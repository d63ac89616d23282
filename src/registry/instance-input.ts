import { normalizeAddress } from '../common/cidr';
import { AppError } from '../common/errors/app-error';
import {
  DEFAULT_CHECK_PATH,
  defaultCheckSpec,
  HealthCheckSpec,
  instanceUrl,
} from '../model/instance';
import { HealthCheckDto } from './dto/health-check.dto';
import { RegisterInstanceDto } from './dto/register-instance.dto';
import { InstanceInput } from './lifecycle/instance-lifecycle';

export function toHealthCheckSpec(
  dto: HealthCheckDto | undefined,
  defaultPath = DEFAULT_CHECK_PATH,
): HealthCheckSpec {
  const defaults = defaultCheckSpec(dto?.type ?? 'http');
  return {
    type: defaults.type,
    path: dto?.path ?? defaultPath,
    interval: dto?.interval ?? defaults.interval,
    timeout: dto?.timeout ?? defaults.timeout,
    ttl: dto?.ttl ?? defaults.ttl,
  };
}

/** Host, port and canonical base URL (no trailing slash) of a validated http(s) URL. */
export function locateUrl(raw: string): Pick<InstanceInput, 'host' | 'port' | 'url'> {
  const url = new URL(raw);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port, url: raw.replace(/\/+$/, '') };
}

/** Where the instance is: `url`, or `host` (default: the caller's address) and `port`. */
function locate(
  dto: RegisterInstanceDto,
  callerAddress: string | undefined,
): Pick<InstanceInput, 'host' | 'port' | 'url'> {
  if (dto.url !== undefined) {
    if (dto.port !== undefined || dto.host !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'url: give either url or host and port, not both');
    }
    return locateUrl(dto.url);
  }
  if (dto.port === undefined)
    throw new AppError('VALIDATION_FAILED', 'port: port or url is required');
  const host = dto.host ?? normalizeAddress(callerAddress ?? '127.0.0.1');
  return { host, port: dto.port, url: instanceUrl(host, dto.port) };
}

export function toInstanceInput(
  dto: RegisterInstanceDto,
  callerAddress: string | undefined,
): InstanceInput {
  return {
    serviceType: dto.serviceType,
    ...locate(dto, callerAddress),
    healthCheck: toHealthCheckSpec(dto.healthCheck),
    metadata: dto.metadata ?? {},
    tags: dto.tags ?? [],
    version: dto.version ?? null,
    zone: dto.zone ?? null,
    weight: dto.weight ?? 1,
    origin: 'service',
  };
}
