import type { FastifyReply } from 'fastify';
import type { InstanceFilter } from './instance-filter';
import type { RegistryService } from './registry.service';

/** The header that tells a discovery answer's index (the service's last change). */
export const INDEX_HEADER = 'x-waypost-index';

export const DISCOVERY_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A discovery read's answer, for the controller and the fast path alike: the service's index in
 * its header and the JSON body, already serialized (the registry caches it until the service
 * type changes).
 */
export function discoveryAnswer(
  registry: RegistryService,
  serviceType: string,
  filter: InstanceFilter,
  reply: FastifyReply,
): string {
  void reply.header(INDEX_HEADER, String(registry.changes.indexOf(serviceType)));
  return registry.discover(serviceType, filter);
}
