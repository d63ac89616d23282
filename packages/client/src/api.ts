/**
 * The registry API as the client sees it (../shared/CONTRACT.md): what a registration sends and
 * what an instance looks like in every answer.
 */
export type InstanceStatus = 'UNKNOWN' | 'UP' | 'DOWN' | 'MAINTENANCE';
export type CheckType = 'http' | 'tcp' | 'ttl' | 'none';

export interface HealthCheckInput {
  type: CheckType;
  path?: string;
  interval?: string | number;
  timeout?: string | number;
  ttl?: string | number;
}

export interface RouteInput {
  path: string;
  host?: string;
  methods?: string[];
  method?: string;
  permission?: string;
  options?: Record<string, unknown>;
}

export interface RegisterInput {
  serviceType: string;
  port?: number;
  host?: string;
  url?: string;
  healthCheck?: HealthCheckInput;
  metadata?: Record<string, string>;
  tags?: string[];
  version?: string;
  zone?: string;
  weight?: number;
  routes?: RouteInput[];
}

export interface Instance {
  id: string;
  serviceType: string;
  host: string;
  port: number;
  url: string;
  status: InstanceStatus;
  healthCheck: {
    type: CheckType;
    path: string;
    interval: number | null;
    timeout: number | null;
    ttl: number | null;
  };
  metadata: Record<string, string>;
  tags: string[];
  version: string | null;
  zone: string | null;
  weight: number;
  registeredAt: string;
  lastCheckAt: string | null;
  lastSuccessAt: string | null;
  lastHeartbeatAt: string | null;
  consecutiveFailures: number;
  responseTimeMs: number | null;
  lastError: string | null;
  checksStopped: boolean;
}

/** `POST /service` answers the instance with its id and its token (shown only then). */
export interface Registration extends Instance {
  serviceId: string;
  token: string;
}

/** `GET /services/:type`, and each event of its watch. */
export interface ServiceInstances {
  serviceType: string;
  instances: Instance[];
  index?: number;
}
