import { AppError } from '../../common/errors/app-error';
import { routesOverlap } from '../../model/route-pattern';
import { routeKey, RouteRecord, RouteSpec, targetService } from '../../model/route';

export interface AdmissionContext {
  /** Routes of the config file: nothing registered may take traffic from them. */
  configRoutes: readonly RouteSpec[];
  /** Registered routes by key. */
  routesByKey: ReadonlyMap<string, RouteRecord>;
  /** Per service, the permissions it may put on routes; a service not listed may use none. */
  servicePermissions: Readonly<Record<string, string[]>>;
}

/**
 * Host specificity, the first thing the gateway ranks routes by: a route with a less specific host
 * than a config route never wins a request the config route matches, so it takes no traffic from it.
 */
function hostRank(host: string | null): number {
  if (host === null) return 0;
  return host.startsWith('*.') ? 1 : 2;
}

function describe(spec: Pick<RouteSpec, 'host' | 'path' | 'methods'>): string {
  const methods = spec.methods ? `${spec.methods.join(',')} ` : '';
  return `${methods}${spec.host ?? '*'}${spec.path}`;
}

/**
 * Decides whether a registered route may be added. Returns the existing record when the route is
 * already there for the same service (a replica registering it again joins as an owner), null when
 * it is new; throws a coded error (403 or 409) otherwise.
 */
export function admitRoute(spec: RouteSpec, context: AdmissionContext): RouteRecord | null {
  const service = targetService(spec.target);
  if (service !== null && spec.permission !== null) {
    const allowed = context.servicePermissions[service] ?? [];
    if (!allowed.includes(spec.permission)) {
      throw new AppError(
        'PERMISSION_NOT_ALLOWED',
        `service ${service} may not register routes with permission ${spec.permission}`,
      );
    }
  }
  const shadowed = context.configRoutes.find(
    (configRoute) =>
      routesOverlap(spec, configRoute) && hostRank(spec.host) >= hostRank(configRoute.host),
  );
  if (shadowed) {
    throw new AppError(
      'ROUTE_SHADOWS_CONFIG',
      `${describe(spec)} would take traffic from the configured route ${describe(shadowed)}`,
    );
  }
  const existing = context.routesByKey.get(routeKey(spec));
  if (!existing) return null;
  const sameService =
    service !== null && existing.origin === 'service' && targetService(existing.target) === service;
  if (!sameService) throw new AppError('ROUTE_EXISTS', `${describe(spec)} is already registered`);
  return existing;
}
