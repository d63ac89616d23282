import type { ChangeReason, InstanceUpdatedEvent, StatusChange } from '../model/events';
import type { InstanceRecord } from '../model/instance';
import { anInstanceRecord } from '../../test/factories';
import { planAfterChange, ttlDeadline } from './check-plan';

const NOW = '2026-11-23T08:00:00.000Z';
const base = anInstanceRecord();
const ttl = { ...base.healthCheck, type: 'ttl' as const, ttl: 5000 };

function change(
  previous: Partial<InstanceRecord>,
  instance: Partial<InstanceRecord>,
  reason: ChangeReason,
  statusChange: StatusChange | null = null,
): InstanceUpdatedEvent {
  return {
    previous: { ...base, ...previous },
    instance: { ...base, ...instance },
    reason,
    statusChange,
  };
}

describe('check plan', () => {
  it('takes drained instances, stopped checks and `none` instances out of the queue', () => {
    expect(planAfterChange(change({ status: 'UP' }, { status: 'MAINTENANCE' }, 'operator'))).toBe(
      'remove',
    );
    expect(planAfterChange(change({}, { checksStopped: true }, 'check'))).toBe('remove');
    const none = { ...base.healthCheck, type: 'none' as const };
    expect(planAfterChange(change({}, { healthCheck: none }, 'registration'))).toBe('remove');
  });

  it('checks at once after a re-registration, a move, an undrain or restarted checks', () => {
    expect(planAfterChange(change({}, {}, 'registration'))).toBe('now');
    expect(planAfterChange(change({}, { url: 'http://127.0.0.1:3001' }, 'operator'))).toBe('now');
    expect(
      planAfterChange(change({ status: 'MAINTENANCE' }, { status: 'UNKNOWN' }, 'operator')),
    ).toBe('now');
    expect(planAfterChange(change({ checksStopped: true }, {}, 'heartbeat'))).toBe('now');
  });

  it('runs a ttl from the heartbeat that renewed it', () => {
    expect(
      planAfterChange(
        change({ healthCheck: ttl }, { healthCheck: ttl, lastHeartbeatAt: NOW }, 'heartbeat'),
      ),
    ).toBe('ttl');
    expect(ttlDeadline({ healthCheck: ttl, lastHeartbeatAt: NOW, registeredAt: NOW })).toBe(
      Date.parse(NOW) + 5000,
    );
  });

  it('moves an instance that live traffic made DOWN to the DOWN rhythm, except ttl instances', () => {
    const down: StatusChange = { from: 'UP', to: 'DOWN', reason: 'traffic' };
    expect(planAfterChange(change({ status: 'UP' }, { status: 'DOWN' }, 'traffic', down))).toBe(
      'down',
    );
    expect(
      planAfterChange(
        change(
          { status: 'UP', healthCheck: ttl },
          { status: 'DOWN', healthCheck: ttl },
          'traffic',
          down,
        ),
      ),
    ).toBe('keep');
  });

  it('leaves the queue alone for a check result or a metadata change', () => {
    const down: StatusChange = { from: 'UP', to: 'DOWN', reason: 'check' };
    expect(planAfterChange(change({ status: 'UP' }, { status: 'DOWN' }, 'check', down))).toBe(
      'keep',
    );
    expect(planAfterChange(change({}, { metadata: { a: 'b' } }, 'operator'))).toBe('keep');
  });
});
