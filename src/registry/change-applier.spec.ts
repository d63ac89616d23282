import { EventEmitter2 } from '@nestjs/event-emitter';
import { anInstanceRecord } from '../../test/factories';
import { REGISTRY_EVENTS } from '../model/events';
import { ChangeApplier } from './change-applier';
import { RegistrySnapshot } from './store/registry-store';
import { instanceKey } from './store/store-keys';

const empty = (index = 0): RegistrySnapshot => ({
  instances: [],
  routes: [],
  index,
  serviceIndexes: {},
  revisions: {},
});

describe(ChangeApplier.name, () => {
  let events: EventEmitter2;
  let seen: string[];
  let applier: ChangeApplier;

  beforeEach(() => {
    events = new EventEmitter2();
    seen = [];
    events.onAny((name, payload: { reason?: string; from?: string; to?: string }) =>
      seen.push(
        [String(name), payload.reason, payload.from && `${payload.from}->${payload.to}`]
          .filter(Boolean)
          .join(' '),
      ),
    );
    applier = new ChangeApplier(events);
    applier.start(empty(10));
  });

  it("announces each transaction once, with the writer's reason, and wakes the writers that wait", async () => {
    const up = anInstanceRecord({ status: 'UP' });
    const waiting = applier.untilApplied(12, 1_000);
    applier.batch({
      revision: 11,
      changes: [{ op: 'putInstance', instance: up, reason: 'registration' }],
    });
    applier.batch({
      revision: 12,
      changes: [{ op: 'putInstance', instance: { ...up, status: 'DOWN' }, reason: 'check' }],
    });
    await expect(waiting).resolves.toBe(true);
    // A transaction seen again (a resumed watch) changes nothing.
    applier.batch({
      revision: 12,
      changes: [{ op: 'deleteInstance', id: up.id, reason: 'deregistration' }],
    });
    expect(seen).toEqual([
      'instance.registered registration',
      'instance.updated check',
      'instanceStatusChanged check UP->DOWN',
    ]);
    expect(applier.feed.indexOf('users')).toBe(12);
    expect(applier.revisions.of(instanceKey(up.id))).toBe(12);
    await expect(applier.untilApplied(13, 20)).resolves.toBe(false);
  });

  it('applies only the difference when the feed resets, and follows a store that went back', () => {
    const kept = anInstanceRecord({ id: 'kept', url: 'http://10.0.0.1:1' });
    const gone = anInstanceRecord({ id: 'gone', url: 'http://10.0.0.2:1' });
    applier.batch({
      revision: 11,
      changes: [
        { op: 'putInstance', instance: kept, reason: 'registration' },
        { op: 'putInstance', instance: gone, reason: 'registration' },
      ],
    });
    seen = [];
    const added = anInstanceRecord({ id: 'added', url: 'http://10.0.0.3:1' });
    applier.reset({
      ...empty(20),
      instances: [kept, added],
      revisions: { [instanceKey('kept')]: 11, [instanceKey('added')]: 19 },
      reasons: { added: 'registration' },
    });
    expect(seen).toEqual(['instance.removed deregistration', 'instance.registered registration']);
    expect([...applier.state.instances.keys()].sort()).toEqual(['added', 'kept']);
    expect(applier.revision).toBe(20);

    seen = [];
    applier.reset({ ...empty(5), instances: [], revisions: {} });
    expect(seen.filter((e) => e.startsWith(REGISTRY_EVENTS.instanceRemoved))).toHaveLength(2);
    expect(applier.revision).toBe(5);
  });
});
