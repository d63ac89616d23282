/**
 * The layout of a fleet's keys under ETCD_PREFIX, one JSON value (or plain string) per key. Pure.
 *
 * - `registry/instances/<id>`, `registry/routes/<id>`, `registry/route-set`, `registry/removals`:
 *   the registry (registry/store/etcd.store.ts); plain keys, never tied to a lease;
 * - `fleet/nodes/<node>`: a member, tied to its lease;
 * - `fleet/claims/<instance id>`: which node checks the instance, tied to that node's lease;
 * - `fleet/reports/<instance id>`: failed live traffic for the checking node, tied to the reporter's lease;
 * - `keys/<name>`: keys Waypost generated, created once and shared.
 */
export type FleetKey =
  { kind: 'node'; id: string } | { kind: 'claim'; id: string } | { kind: 'report'; id: string };

export class FleetKeys {
  readonly registry: string;
  readonly fleet: string;

  constructor(readonly prefix: string) {
    this.registry = `${prefix}registry/`;
    this.fleet = `${prefix}fleet/`;
  }

  node(id: string): string {
    return `${this.fleet}nodes/${encodeURIComponent(id)}`;
  }

  claim(instanceId: string): string {
    return `${this.fleet}claims/${instanceId}`;
  }

  report(instanceId: string): string {
    return `${this.fleet}reports/${instanceId}`;
  }

  secret(name: string): string {
    return `${this.prefix}keys/${name}`;
  }

  /** A key relative to `fleet/`, or null when it is none of ours. */
  parseFleetKey(relative: string): FleetKey | null {
    const slash = relative.indexOf('/');
    if (slash < 0) return null;
    const kind = relative.slice(0, slash);
    const rest = relative.slice(slash + 1);
    if (rest.length === 0) return null;
    if (kind === 'nodes') {
      try {
        return { kind: 'node', id: decodeURIComponent(rest) };
      } catch {
        return null; // not a name any Waypost wrote
      }
    }
    if (kind === 'claims') return { kind: 'claim', id: rest };
    if (kind === 'reports') return { kind: 'report', id: rest };
    return null;
  }
}
