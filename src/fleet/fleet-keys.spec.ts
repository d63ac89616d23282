import { FleetKeys } from './fleet-keys';

describe(FleetKeys.name, () => {
  const keys = new FleetKeys('/team/waypost/');

  it('lays every key under the prefix and reads back only its own', () => {
    expect(keys.registry).toBe('/team/waypost/registry/');
    expect(keys.node('gw-1:8081')).toBe('/team/waypost/fleet/nodes/gw-1%3A8081');
    expect(keys.claim('i1')).toBe('/team/waypost/fleet/claims/i1');
    expect(keys.secret('admin')).toBe('/team/waypost/keys/admin');
    expect(keys.parseFleetKey('nodes/gw-1%3A8081')).toEqual({ kind: 'node', id: 'gw-1:8081' });
    expect(keys.parseFleetKey('claims/i1')).toEqual({ kind: 'claim', id: 'i1' });
    expect(keys.parseFleetKey('reports/i1')).toEqual({ kind: 'report', id: 'i1' });
    for (const other of ['nodes/', 'claims', 'elsewhere/x', 'nodes/%E0%A4%A'])
      expect(keys.parseFleetKey(other)).toBeNull();
  });
});
