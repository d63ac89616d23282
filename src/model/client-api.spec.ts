import type { Instance, InstanceStatus as ClientStatus } from '../../packages/client/src/api';
import { anInstanceRecord } from '../../test/factories';
import { InstanceStatus, InstanceView, toInstanceView } from './instance';

/**
 * @waypost/client declares the registry's answers for its users; this spec holds the two
 * declarations to one shape at compile time (`npm run typecheck` fails when they drift), in both
 * directions, and checks a real answer against it.
 */
describe('the client SDK and the registry agree on the instance', () => {
  it('has every field of an answer, of the same types, both ways', () => {
    const view: InstanceView = toInstanceView(anInstanceRecord());
    const asClientSees: Instance = view;
    const asServerSends: InstanceView = asClientSees;
    const statuses: [ClientStatus, InstanceStatus] = ['UP', 'UP'];
    expect(Object.keys(asServerSends).sort()).toEqual(Object.keys(view).sort());
    expect(statuses[0]).toBe(statuses[1]);
  });
});
