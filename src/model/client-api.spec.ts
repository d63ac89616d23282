import type { Instance, InstanceStatus as ClientStatus } from '../../packages/client/src/api';
import { anInstanceRecord } from '../../test/factories';
import { InstanceStatus, InstanceView, toInstanceView } from './instance';

/**
 * The wire shapes live in @waypost/client (the response DTOs implement them); this spec holds the
 * server's own model of an answer (`toInstanceView`) to the same shape, both ways, at compile time.
 */
describe('the client SDK and the registry agree on the instance', () => {
  it('has every field of an answer, of the same types, both ways', () => {
    const view: InstanceView = toInstanceView(anInstanceRecord());
    const asClientSees: Instance = view;
    const asServerSends: InstanceView = asClientSees;
    const status: ClientStatus = view.status satisfies InstanceStatus;
    // What the client reads of a real answer is the answer, field for field.
    expect(Object.keys(asServerSends).sort()).toEqual(Object.keys(view).sort());
    expect(status).toBe('UNKNOWN');
  });
});
