import { InstanceRecord } from './instance.model';
import { RouteRecord } from './routes/route.model';

/** Events the registry emits after each committed change; the proxy and health monitor listen. */
export const REGISTRY_EVENTS = {
  instanceRegistered: 'instance.registered',
  instanceRemoved: 'instance.removed',
  instanceUpdated: 'instance.updated',
  routeAdded: 'route.added',
  routeRemoved: 'route.removed',
} as const;

export interface InstanceEvent {
  instance: InstanceRecord;
}

export interface InstanceUpdatedEvent extends InstanceEvent {
  previous: InstanceRecord;
}

export interface RouteEvent {
  route: RouteRecord;
}
