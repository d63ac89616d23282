import { RouteRecord, targetBackend, targetService } from '../model/route';

/** A route as `GET /routes` lists it: the four contract keys always present, the rest beside them. */
export interface RouteView {
  host: string | null;
  path: string;
  backend: string | null;
  registered_at: string | null;
  id: string;
  service: string | null;
  methods: string[] | null;
  permission: string | null;
  origin: string;
  options: RouteRecord['options'];
}

export function toRouteView(route: RouteRecord): RouteView {
  return {
    host: route.host,
    path: route.path,
    backend: targetBackend(route.target),
    registered_at: route.registeredAt,
    id: route.id,
    service: targetService(route.target),
    methods: route.methods,
    permission: route.permission,
    origin: route.origin,
    options: route.options,
  };
}
