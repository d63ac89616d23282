import type { InstanceRecord } from '../model/instance';

/**
 * Waypost's instances in the shapes Consul answers: catalog entries, health entries with their
 * checks, the agent's service map. Consul's field names and JSON types (Port an integer, Meta a
 * string map, statuses only passing/warning/critical). Pure.
 */

export interface ConsulNode {
  /** Waypost itself is the one node every service is on. */
  name: string;
  id: string;
  address: string;
  datacenter: string;
}

export interface ConsulCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: 'passing' | 'warning' | 'critical';
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: readonly string[];
  Type: string;
  CreateIndex: number;
  ModifyIndex: number;
}

const WEIGHTS = { Passing: 1, Warning: 1 };

/** Catalog and health answers list instances in this one order. */
export function consulOrder(instances: readonly InstanceRecord[]): InstanceRecord[] {
  return [...instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** An instance's checks as Consul shows them; a drained one adds the maintenance check. */
export function consulChecks(
  instance: InstanceRecord,
  node: ConsulNode,
  index: number,
): ConsulCheck[] {
  const common = {
    Node: node.name,
    Notes: '',
    ServiceID: instance.id,
    ServiceName: instance.serviceType,
    ServiceTags: instance.tags,
    CreateIndex: index,
    ModifyIndex: index,
  };
  const checks: ConsulCheck[] = instance.checks.map((check) => ({
    ...common,
    CheckID: check.id,
    Name: check.name,
    Status: check.status,
    Output: check.output,
    Type: check.type,
  }));
  if (instance.status === 'MAINTENANCE') {
    checks.push({
      ...common,
      CheckID: `_service_maintenance:${instance.id}`,
      Name: 'Service Maintenance Mode',
      Status: 'critical',
      Notes: '',
      Output: '',
      Type: 'maintenance',
    });
  }
  return checks;
}

function nodeFields(node: ConsulNode) {
  return {
    ID: node.id,
    Node: node.name,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: { lan: node.address, wan: node.address },
  };
}

export function catalogEntry(instance: InstanceRecord, node: ConsulNode, index: number) {
  return {
    ...nodeFields(node),
    NodeMeta: {},
    ServiceKind: '',
    ServiceID: instance.id,
    ServiceName: instance.serviceType,
    ServiceTags: instance.tags,
    ServiceAddress: instance.host,
    ServiceMeta: instance.metadata,
    ServicePort: instance.port,
    ServiceWeights: WEIGHTS,
    ServiceEnableTagOverride: false,
    CreateIndex: index,
    ModifyIndex: index,
  };
}

function serviceFields(instance: InstanceRecord, index: number) {
  return {
    ID: instance.id,
    Service: instance.serviceType,
    Tags: instance.tags,
    Address: instance.host,
    Meta: instance.metadata,
    Port: instance.port,
    Weights: WEIGHTS,
    EnableTagOverride: false,
    CreateIndex: index,
    ModifyIndex: index,
  };
}

export function healthEntry(instance: InstanceRecord, node: ConsulNode, index: number) {
  return {
    Node: { ...nodeFields(node), Meta: {}, CreateIndex: index, ModifyIndex: index },
    Service: serviceFields(instance, index),
    Checks: consulChecks(instance, node, index),
  };
}

/** `/v1/agent/services`: every instance by its id. */
export function agentServices(instances: Iterable<InstanceRecord>, node: ConsulNode) {
  const services: Record<string, unknown> = {};
  for (const instance of consulOrder([...instances])) {
    const { CreateIndex: _c, ModifyIndex: _m, ...fields } = serviceFields(instance, 0);
    services[instance.id] = { ...fields, Datacenter: node.datacenter };
  }
  return services;
}

/** `/v1/catalog/services`: every service with the union of its instances' tags. */
export function catalogServices(byType: Iterable<[string, InstanceRecord[]]>) {
  const services: Record<string, string[]> = {};
  for (const [type, instances] of byType) {
    services[type] = [...new Set(instances.flatMap((instance) => instance.tags))].sort();
  }
  return services;
}

/** True when every check of the entry passes: what `?passing` keeps. */
export function allPassing(checks: readonly ConsulCheck[]): boolean {
  return checks.every((check) => check.Status === 'passing');
}

/** True when the instance carries every tag asked for (`?tag=` may repeat). */
export function hasTags(instance: InstanceRecord, tags: readonly string[]): boolean {
  return tags.every((tag) => instance.tags.includes(tag));
}
