import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flattenValidationErrors, PERMISSION } from '../common/validation';
import { ConfigRouteDto } from './config-route.dto';
import { toRouteSpec } from '../model/route-spec';
import { routeKey, RouteSpec } from '../model/route';
import { SECRET, SECRET_RULE } from '../common/secret';
import { ApiKeySpec } from './settings';

/** Parsers for the config file's structured keys: `routes`, `apiKeys`, `services`. Each throws one line. */

const MAX_ROUTES = 10_000;

export function parseConfigRoutes(value: unknown): RouteSpec[] {
  if (!Array.isArray(value)) throw new Error('must be a list of routes');
  if (value.length > MAX_ROUTES) throw new Error(`at most ${MAX_ROUTES} routes`);
  const seen = new Set<string>();
  return value.map((raw, index) => {
    const dto = plainToInstance(ConfigRouteDto, raw);
    const errors = validateSync(dto, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
    });
    if (errors.length > 0) throw new Error(`route ${index}: ${flattenValidationErrors(errors)[0]}`);
    const { backend, service, ...route } = dto;
    // A redirect is answered by the gateway: it needs neither, though it may keep one.
    if (backend !== undefined && service !== undefined)
      throw new Error(`route ${index}: give exactly one of backend or service`);
    if (backend === undefined && service === undefined && !route.redirect)
      throw new Error(`route ${index}: give exactly one of backend or service (or a redirect)`);
    const spec = toRouteSpec(
      route,
      backend ? { backend } : service ? { service } : { gateway: true },
    );
    const key = routeKey(spec);
    if (seen.has(key)) throw new Error(`route ${index}: ${key} is defined twice`);
    seen.add(key);
    return spec;
  });
}

function isPermissionList(value: unknown): value is string[] {
  return (
    Array.isArray(value) &&
    value.length <= 256 &&
    value.every((p) => typeof p === 'string' && PERMISSION.test(p))
  );
}

export function parseApiKeys(value: unknown): ApiKeySpec[] {
  if (!Array.isArray(value)) throw new Error('must be a list of {name, key, permissions}');
  const names = new Set<string>();
  return value.map((raw, index) => {
    const entry = raw as Partial<ApiKeySpec> | null;
    if (typeof entry !== 'object' || entry === null)
      throw new Error(`key ${index}: must be an object`);
    const unknown = Object.keys(entry).filter((k) => !['name', 'key', 'permissions'].includes(k));
    if (unknown.length > 0) throw new Error(`key ${index}: unknown field ${unknown[0]}`);
    if (typeof entry.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(entry.name)) {
      throw new Error(`key ${index}: name must be 1-64 letters, digits, ".", "_" or "-"`);
    }
    if (names.has(entry.name)) throw new Error(`key ${index}: name ${entry.name} is used twice`);
    names.add(entry.name);
    // The key itself is never echoed: this line may reach a log.
    if (typeof entry.key !== 'string' || !SECRET.test(entry.key)) {
      throw new Error(`key ${entry.name}: key must be ${SECRET_RULE}`);
    }
    if (!isPermissionList(entry.permissions)) {
      throw new Error(`key ${entry.name}: permissions must be a list of permission names`);
    }
    return { name: entry.name, key: entry.key, permissions: entry.permissions };
  });
}

export function parseServicePermissions(value: unknown): Record<string, string[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('must be a map of service name to {permissions: [...]}');
  }
  const result: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(value)) {
    const entry = raw as { permissions?: unknown } | null;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      Object.keys(entry).some((k) => k !== 'permissions')
    ) {
      throw new Error(`service ${name}: must be {permissions: [...]}`);
    }
    if (!isPermissionList(entry.permissions ?? [])) {
      throw new Error(`service ${name}: permissions must be a list of permission names`);
    }
    result[name] = (entry.permissions as string[] | undefined) ?? [];
  }
  return result;
}
