export { Waypost } from './waypost.js';
export type { WaypostOptions, WaypostEvents, ChangeEvent } from './waypost.js';
export { WaypostError } from './errors.js';
export { toMs } from './duration.js';
export type {
  CheckType,
  HealthCheckInput,
  Instance,
  InstanceCheck,
  InstanceStatus,
  LoadBalancing,
  Registration,
  RegisterInput,
  RouteInput,
  RouteOptionsInput,
  HeaderRulesInput,
  ServiceInstances,
} from './api.js';
