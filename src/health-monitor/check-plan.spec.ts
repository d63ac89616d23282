import type { ChangeReason, InstanceUpdatedEvent, StatusChange } from '../model/events';
import type { InstanceRecord } from '../model/instance';
import { anInstanceRecord } from '../../test/factories';
import { planAfterChange, probeInterval, ttlDue } from './check-plan';

const NOW = '2026-11-23T08:00:00.000Z';
const base = anInstanceRecord();
const ttl = { ...base.healthCheck, type: 'ttl' as const, ttl: 5000 };

const ttlRecord = anInstanceRecord({ healthCheck: ttl });
const none = anInstanceRecord({ healthCheck: { ...base.healthCheck, type: 'none' } });

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
    expect(planAfterChange(change({}, none, 'registration'))).toBe('remove');
  });

  it('checks at once after a re-registration, a move, an undrain or restarted checks', () => {
    expect(planAfterChange(change({}, {}, 'registration'))).toBe('now');
    expect(planAfterChange(change({}, { url: 'http://127.0.0.1:3001' }, 'operator'))).toBe('now');
    expect(
      planAfterChange(change({ status: 'MAINTENANCE' }, { status: 'UNKNOWN' }, 'operator')),
    ).toBe('now');
    expect(planAfterChange(change({ checksStopped: true }, {}, 'heartbeat'))).toBe('now');
  });

  it('watches a ttl check until its deadline, then no more once it has expired', () => {
    const at = Date.parse(NOW);
    expect(ttlDue(ttlRecord, at)).toBe(at + 5000);
    // Its deadline passed unnoticed (a restart): look now.
    expect(ttlDue(ttlRecord, at + 6000)).toBe(at + 6000);
    const expired = {
      ...ttlRecord,
      checks: ttlRecord.checks.map((c) => ({ ...c, status: 'critical' as const, settled: true })),
    };
    expect(ttlDue(expired, at + 6000)).toBeNull();
    expect(ttlDue(base, at)).toBeNull();
  });

  it('moves an instance that live traffic made DOWN to the DOWN rhythm; ttl-only ones leave the probe queue', () => {
    const down: StatusChange = { from: 'UP', to: 'DOWN', reason: 'traffic' };
    expect(planAfterChange(change({ status: 'UP' }, { status: 'DOWN' }, 'traffic', down))).toBe(
      'down',
    );
    expect(
      planAfterChange(
        change({ ...ttlRecord, status: 'UP' }, { ...ttlRecord, status: 'DOWN' }, 'traffic', down),
      ),
    ).toBe('remove');
  });

  it("probes at the shortest of the checks' own intervals, else the setting", () => {
    expect(probeInterval(base, 10_000)).toBe(10_000);
    const checks = [
      { ...base.checks[0]!, interval: 4_000 },
      { ...base.checks[0]!, id: 'b', interval: 2_000 },
    ];
    expect(probeInterval({ checks }, 10_000)).toBe(2_000);
  });

  it('leaves the queue alone for a check result or a metadata change', () => {
    const down: StatusChange = { from: 'UP', to: 'DOWN', reason: 'check' };
    expect(planAfterChange(change({ status: 'UP' }, { status: 'DOWN' }, 'check', down))).toBe(
      'keep',
    );
    expect(planAfterChange(change({}, { metadata: { a: 'b' } }, 'operator'))).toBe('keep');
  });
});
