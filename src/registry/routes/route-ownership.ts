import { randomUUID } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { RegistryState } from '../registry-state';
import { StoreChange } from '../store/registry-store';
import { admitRoute, AdmissionContext } from './route-admission';
import { routeKey, RouteRecord, RouteSpec } from '../../model/route';

/**
 * Plans the route changes of one instance (re)registering with a list of routes: routes it brings
 * are added or joined, routes it brought before and no longer lists are left (and removed with their
 * last owner). Throws before anything changes when one route may not be admitted.
 */
export function planInstanceRoutes(
  state: RegistryState,
  instanceId: string,
  specs: readonly RouteSpec[],
  context: AdmissionContext,
  now: string,
): StoreChange[] {
  const changes: StoreChange[] = [];
  const keys = new Set<string>();
  for (const spec of specs) {
    const key = routeKey(spec);
    if (keys.has(key)) throw new AppError('VALIDATION_FAILED', `routes: ${key} is listed twice`);
    keys.add(key);
    const existing = admitRoute(spec, context);
    const owners = existing ? [...new Set([...existing.owners, instanceId])] : [instanceId];
    // The newest registration's options win: that is how a rolling deploy changes them.
    const route: RouteRecord = {
      ...spec,
      id: existing?.id ?? randomUUID(),
      origin: 'service',
      owners,
      registeredAt: existing?.registeredAt ?? now,
    };
    changes.push({ op: 'putRoute', route });
  }
  for (const route of state.routesOwnedBy(instanceId)) {
    if (!keys.has(routeKey(route))) changes.push(...releaseRoute(route, instanceId));
  }
  return changes;
}

/** The instance lets go of a route; the route goes with its last owner. */
export function releaseRoute(route: RouteRecord, instanceId: string): StoreChange[] {
  const owners = route.owners.filter((owner) => owner !== instanceId);
  if (owners.length === 0) return [{ op: 'deleteRoute', id: route.id }];
  return [{ op: 'putRoute', route: { ...route, owners } }];
}
