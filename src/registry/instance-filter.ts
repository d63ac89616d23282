import { InstanceRecord, InstanceStatus } from '../model/instance';

/** Discovery filters: every given field must match. */
export interface InstanceFilter {
  status?: InstanceStatus;
  tag?: string;
  zone?: string;
  version?: string;
}

export function matchesFilter(instance: InstanceRecord, filter: InstanceFilter): boolean {
  return (
    (filter.status === undefined || instance.status === filter.status) &&
    (filter.tag === undefined || instance.tags.includes(filter.tag)) &&
    (filter.zone === undefined || instance.zone === filter.zone) &&
    (filter.version === undefined || instance.version === filter.version)
  );
}
