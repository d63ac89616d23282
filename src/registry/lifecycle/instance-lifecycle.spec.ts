import { anInstanceInput, anInstanceRecord } from '../../../test/factories';
import { CheckDeclaration, CheckStatus, combineOutcomes } from '../../model/check';
import type { CheckReport } from '../../model/health';
import { DEFAULT_TTL_MS, InstanceRecord } from '../../model/instance';
import {
  LifecycleEvent,
  nextStep,
  registeredRecord,
  shouldDeregister,
  Step,
} from './instance-lifecycle';

const thresholds = { healthyThreshold: 1, unhealthyThreshold: 3, stopChecksAfter: 10 };
const NOW = '2026-11-23T08:00:00.000Z';
/** An hour on: every ttl of these tests has run out. */
const LATER = '2026-11-23T09:00:00.000Z';
const pass: LifecycleEvent = {
  type: 'report',
  report: { kind: 'probe', outcome: { ok: true, responseTimeMs: 4, error: null } },
};
const fail: LifecycleEvent = {
  type: 'report',
  report: { kind: 'probe', outcome: { ok: false, responseTimeMs: 2000, error: 'timed out' } },
};
const report = (r: CheckReport): LifecycleEvent => ({ type: 'report', report: r });

const input = anInstanceInput;

const record = anInstanceRecord;

const ttlCheck = {
  type: 'ttl' as const,
  path: '/health',
  interval: null,
  timeout: null,
  ttl: 5000,
};
const noCheck = {
  type: 'none' as const,
  path: '/health',
  interval: null,
  timeout: null,
  ttl: null,
};

function run(start: InstanceRecord, events: LifecycleEvent[], t = thresholds): Step {
  let last: Step = {
    record: start,
    statusChange: null,
    durable: false,
    stopped: false,
    reason: 'check',
  };
  for (const event of events) last = nextStep(last.record, event, t, NOW);
  return last;
}

describe('instance lifecycle', () => {
  describe('registration', () => {
    it('starts UNKNOWN when the instance has a check, UP when it has none', () => {
      expect(record().status).toBe('UNKNOWN');
      const none = registeredRecord(
        input({ healthCheck: noCheck }),
        { id: 'i1', tokenHash: 'h', now: NOW },
        undefined,
      );
      expect(none.status).toBe('UP');
    });

    it('keeps a drain, the id given and the last success across a re-registration; checks start over', () => {
      const previous = record({
        status: 'MAINTENANCE',
        lastSuccessAt: '2026-11-22T00:00:00.000Z',
        consecutiveFailures: 12,
        checksStopped: true,
      });
      const again = registeredRecord(input(), { id: 'i1', tokenHash: 'h2', now: NOW }, previous);
      expect(again).toMatchObject({
        id: 'i1',
        status: 'MAINTENANCE',
        lastSuccessAt: '2026-11-22T00:00:00.000Z',
        consecutiveFailures: 0,
        checksStopped: false,
        tokenHash: 'h2',
        registeredAt: NOW,
      });
    });

    it('forgets a DOWN status on re-registration: the instance is checked anew', () => {
      const previous = record({ status: 'DOWN', downSince: NOW });
      expect(
        registeredRecord(input(), { id: 'i1', tokenHash: 'h', now: NOW }, previous),
      ).toMatchObject({
        status: 'UNKNOWN',
        downSince: null,
      });
    });
  });

  describe('active checks', () => {
    it('makes an UNKNOWN instance UP after HEALTHY_THRESHOLD passes, with reason check', () => {
      expect(nextStep(record(), pass, thresholds, NOW).statusChange).toEqual({
        from: 'UNKNOWN',
        to: 'UP',
        reason: 'check',
      });
      const two = { ...thresholds, healthyThreshold: 2 };
      expect(run(record(), [pass], two).record.status).toBe('UNKNOWN');
      expect(run(record(), [pass, pass], two).record.status).toBe('UP');
    });

    it('marks an UP instance DOWN after UNHEALTHY_THRESHOLD consecutive failures', () => {
      const up = record({ status: 'UP' });
      expect(run(up, [fail, fail]).record.status).toBe('UP');
      const down = run(up, [fail, fail, fail]);
      expect(down.record).toMatchObject({ status: 'DOWN', downSince: NOW, lastError: 'timed out' });
      expect(down.statusChange).toEqual({ from: 'UP', to: 'DOWN', reason: 'check' });
      expect(down.durable).toBe(true);
    });

    it('resets the failure count on a pass, so only consecutive failures count', () => {
      expect(run(record({ status: 'UP' }), [fail, fail, pass, fail, fail]).record.status).toBe(
        'UP',
      );
    });

    it('recovers a DOWN instance after HEALTHY_THRESHOLD passes and clears downSince', () => {
      const down = record({ status: 'DOWN', downSince: NOW, consecutiveFailures: 4 });
      const step = nextStep(down, pass, thresholds, NOW);
      expect(step.record).toMatchObject({ status: 'UP', downSince: null, consecutiveFailures: 0 });
      expect(step.statusChange?.reason).toBe('check');
    });

    it('keeps a pass or failure that changes no status in memory only (not durable)', () => {
      const up = record({ status: 'UP' });
      const step = nextStep(up, pass, thresholds, NOW);
      expect(step.statusChange).toBeNull();
      expect(step.durable).toBe(false);
      expect(step.record).toMatchObject({
        lastCheckAt: NOW,
        responseTimeMs: 4,
        lastSuccessAt: NOW,
      });
      expect(nextStep(up, fail, thresholds, NOW).durable).toBe(false);
    });

    it('stops the checks after STOP_CHECKS_AFTER failures, durably, and says so once', () => {
      const t = { ...thresholds, stopChecksAfter: 4 };
      const before = run(record({ status: 'UP' }), [fail, fail, fail], t);
      expect(before.record.checksStopped).toBe(false);
      const stop = nextStep(before.record, fail, t, NOW);
      expect(stop).toMatchObject({ stopped: true, durable: true, statusChange: null });
      expect(stop.record.checksStopped).toBe(true);
      expect(nextStep(stop.record, fail, t, NOW).stopped).toBe(false);
    });
  });

  describe('live traffic', () => {
    it('counts a failed request as a failed check, with reason traffic', () => {
      const traffic = report({ kind: 'traffic', error: 'ECONNREFUSED' });
      const step = run(record({ status: 'UP' }), [traffic, traffic, traffic]);
      expect(step.record).toMatchObject({
        status: 'DOWN',
        lastError: 'live traffic: ECONNREFUSED',
      });
      expect(step.statusChange).toEqual({ from: 'UP', to: 'DOWN', reason: 'traffic' });
    });

    it('leaves drained instances and instances without a check alone', () => {
      const traffic = report({ kind: 'traffic', error: 'ECONNRESET' });
      const drained = record({ status: 'MAINTENANCE' });
      expect(nextStep(drained, traffic, thresholds, NOW).record).toBe(drained);
      expect(nextStep(drained, fail, thresholds, NOW).record).toBe(drained);
      const none = record({ status: 'UP', healthCheck: noCheck });
      expect(nextStep(none, traffic, thresholds, NOW).record).toBe(none);
    });
  });

  describe('ttl', () => {
    it('makes a ttl instance DOWN at once when its ttl runs out, with reason ttl', () => {
      const step = nextStep(
        record({ status: 'UP', healthCheck: ttlCheck }),
        report({ kind: 'ttl' }),
        thresholds,
        LATER,
      );
      expect(step.record).toMatchObject({
        status: 'DOWN',
        downSince: LATER,
        lastError: 'no heartbeat within 5000ms',
      });
      expect(step.statusChange).toEqual({ from: 'UP', to: 'DOWN', reason: 'ttl' });
    });

    it('names the default ttl when the check has none', () => {
      const noTtl = { ...ttlCheck, ttl: null };
      const step = nextStep(
        record({ healthCheck: noTtl }),
        report({ kind: 'ttl' }),
        thresholds,
        LATER,
      );
      expect(step.record.lastError).toBe(`no heartbeat within ${DEFAULT_TTL_MS}ms`);
    });

    it('changes nothing durable when a DOWN ttl instance misses again', () => {
      const down = record({ status: 'DOWN', healthCheck: ttlCheck, downSince: NOW });
      const step = nextStep(down, report({ kind: 'ttl' }), thresholds, '2026-11-23T09:00:00.000Z');
      expect(step).toMatchObject({ statusChange: null, durable: false });
      expect(step.record.downSince).toBe(NOW);
    });
  });

  describe('heartbeat', () => {
    it('makes a DOWN ttl instance UP at once, with reason heartbeat', () => {
      const down = record({ status: 'DOWN', healthCheck: ttlCheck, downSince: NOW });
      const step = nextStep(down, { type: 'heartbeat' }, thresholds, NOW);
      expect(step.record).toMatchObject({ status: 'UP', lastHeartbeatAt: NOW, downSince: null });
      expect(step.statusChange).toEqual({ from: 'DOWN', to: 'UP', reason: 'heartbeat' });
      expect(step.durable).toBe(true);
    });

    it('keeps a drained ttl instance drained', () => {
      const drained = record({ status: 'MAINTENANCE', healthCheck: ttlCheck });
      const step = nextStep(drained, { type: 'heartbeat' }, thresholds, NOW);
      expect(step.record.status).toBe('MAINTENANCE');
      expect(step.statusChange).toBeNull();
    });

    it('restarts stopped checks of an http instance without touching its status', () => {
      const stopped = record({ status: 'DOWN', checksStopped: true, consecutiveFailures: 10 });
      const step = nextStep(stopped, { type: 'heartbeat' }, thresholds, NOW);
      expect(step.record).toMatchObject({
        status: 'DOWN',
        checksStopped: false,
        lastHeartbeatAt: NOW,
      });
      expect(step).toMatchObject({ statusChange: null, durable: true });
    });
  });

  describe('operator', () => {
    it('drains with reason operator', () => {
      const step = nextStep(
        record({ status: 'UP' }),
        { type: 'operator', patch: { status: 'MAINTENANCE' } },
        thresholds,
        NOW,
      );
      expect(step.statusChange).toEqual({ from: 'UP', to: 'MAINTENANCE', reason: 'operator' });
    });

    it('hands an undrained instance back to the checks (UNKNOWN), or UP when it has none', () => {
      const undrain: LifecycleEvent = { type: 'operator', patch: { status: 'UP' } };
      const drained = record({ status: 'MAINTENANCE', consecutiveFailures: 2 });
      expect(nextStep(drained, undrain, thresholds, NOW).record).toMatchObject({
        status: 'UNKNOWN',
        consecutiveFailures: 0,
      });
      const none = record({ status: 'MAINTENANCE', healthCheck: noCheck });
      expect(nextStep(none, undrain, thresholds, NOW).record.status).toBe('UP');
    });

    it('restarts stopped checks on UP but leaves the status to them', () => {
      const stopped = record({ status: 'DOWN', checksStopped: true });
      const step = nextStep(
        stopped,
        { type: 'operator', patch: { status: 'UP' } },
        thresholds,
        NOW,
      );
      expect(step.record).toMatchObject({ status: 'DOWN', checksStopped: false });
      expect(step.statusChange).toBeNull();
    });

    it('changes metadata and weight durably, status untouched', () => {
      const step = nextStep(
        record({ status: 'UP' }),
        { type: 'operator', patch: { metadata: { a: 'b' }, weight: 5 } },
        thresholds,
        NOW,
      );
      expect(step.record).toMatchObject({ status: 'UP', metadata: { a: 'b' }, weight: 5 });
      expect(step).toMatchObject({ durable: true, statusChange: null });
    });
  });

  describe('several checks', () => {
    const http = (path: string): CheckDeclaration => ({
      id: null,
      name: path,
      type: 'http',
      target: null,
      path,
      interval: null,
      timeout: null,
      ttl: null,
      initialStatus: 'critical',
    });
    const ttl = (id: string): CheckDeclaration => ({
      ...http('/'),
      id,
      name: id,
      type: 'ttl',
      ttl: 5000,
    });
    const registered = (checks: CheckDeclaration[]) =>
      registeredRecord(input({ checks }), { id: 'web1', tokenHash: 'h', now: NOW }, undefined);
    const probe = (results: Record<string, boolean>): LifecycleEvent => {
      const perCheck = new Map(
        Object.entries(results).map(([id, ok]) => [
          id,
          { ok, responseTimeMs: 1, error: ok ? null : `${id} failed` },
        ]),
      );
      return report({ kind: 'probe', outcome: combineOutcomes(perCheck.values()), perCheck });
    };

    it('names checks after Consul: service:<id>, or service:<id>:n when there are several', () => {
      expect(registered([http('/a')]).checks.map((c) => c.id)).toEqual(['service:web1']);
      expect(registered([http('/a'), http('/b')]).checks.map((c) => c.id)).toEqual([
        'service:web1:1',
        'service:web1:2',
      ]);
    });

    it('is UP only while every check passes, and DOWN once one has failed', () => {
      const start = registered([http('/a'), http('/b')]);
      const half = run(start, [probe({ 'service:web1:1': true, 'service:web1:2': false })]);
      expect(half.record.status).toBe('UNKNOWN');
      expect(half.record.checks.map((c) => c.status)).toEqual(['passing', 'critical']);
      const up = run(half.record, [probe({ 'service:web1:1': true, 'service:web1:2': true })]);
      expect(up.record.status).toBe('UP');
      const failing = probe({ 'service:web1:1': true, 'service:web1:2': false });
      const down = run(up.record, [failing, failing, failing]);
      expect(down.record).toMatchObject({ status: 'DOWN', lastError: 'service:web1:2 failed' });
      expect(down.record.checks[1]).toMatchObject({
        status: 'critical',
        output: 'service:web1:2 failed',
      });
      expect(down.statusChange).toEqual({ from: 'UP', to: 'DOWN', reason: 'check' });
    });

    it('stores a check that changed status even when the instance stays DOWN', () => {
      const start = registered([http('/a'), http('/b')]);
      const bothFail = probe({ 'service:web1:1': false, 'service:web1:2': false });
      const down = run(start, [bothFail, bothFail, bothFail]).record;
      const step = nextStep(
        down,
        probe({ 'service:web1:1': true, 'service:web1:2': false }),
        thresholds,
        NOW,
      );
      expect(step.record.status).toBe('DOWN');
      expect(step.statusChange).toBeNull();
      expect(step.durable).toBe(true);
    });

    it('takes a ttl update at once for its one check; warn and fail are not passing', () => {
      const start = registered([ttl('a'), ttl('b')]);
      const tell = (checkId: string, status: CheckStatus): LifecycleEvent => ({
        type: 'ttlUpdate',
        checkId,
        status,
        output: `${checkId} ${status}`,
      });
      const one = nextStep(start, tell('a', 'passing'), thresholds, NOW);
      expect(one.record.status).toBe('UNKNOWN');
      const both = nextStep(one.record, tell('b', 'passing'), thresholds, NOW);
      expect(both.record.status).toBe('UP');
      expect(both.statusChange).toEqual({ from: 'UNKNOWN', to: 'UP', reason: 'heartbeat' });
      const warned = nextStep(both.record, tell('b', 'warning'), thresholds, NOW);
      expect(warned.record.status).toBe('DOWN');
      expect(warned.record.checks[1]).toMatchObject({ status: 'warning', output: 'b warning' });
      expect(warned.statusChange?.reason).toBe('check');
    });

    it('expires only the ttl checks whose own clock ran out', () => {
      const start = registered([ttl('a'), ttl('b')]);
      const renewed = nextStep(
        start,
        { type: 'ttlUpdate', checkId: 'b', status: 'passing', output: '' },
        thresholds,
        '2026-11-23T08:00:04.000Z',
      ).record;
      const step = nextStep(
        renewed,
        report({ kind: 'ttl' }),
        thresholds,
        '2026-11-23T08:00:06.000Z',
      );
      expect(step.record.checks.map((c) => c.status)).toEqual(['critical', 'passing']);
      expect(step.record.checks[0]?.output).toMatch(/TTL expired/);
      expect(step.record.status).toBe('DOWN');
    });

    it('starts a check passing when it is registered so', () => {
      const start = registered([{ ...http('/a'), initialStatus: 'passing' }]);
      expect(start.status).toBe('UP');
    });
  });

  describe('DEREGISTER_AFTER', () => {
    const downSince = '2026-11-23T08:00:00.000Z';
    const at = (ms: number) => Date.parse(downSince) + ms;

    it('answers true once an instance has been DOWN that long', () => {
      const down = record({ status: 'DOWN', downSince });
      expect(shouldDeregister(down, 60_000, at(59_999))).toBe(false);
      expect(shouldDeregister(down, 60_000, at(60_000))).toBe(true);
    });

    it("prefers the instance's own DeregisterCriticalServiceAfter to the setting", () => {
      const down = record({ status: 'DOWN', downSince, deregisterAfter: 1_000 });
      expect(shouldDeregister(down, null, at(1_000))).toBe(true);
      expect(shouldDeregister(down, 60_000, at(999))).toBe(false);
    });

    it('never removes an instance that is not DOWN, nor when the setting is off', () => {
      expect(shouldDeregister(record({ status: 'UP', downSince }), 1, at(10))).toBe(false);
      expect(shouldDeregister(record({ status: 'DOWN', downSince }), null, at(1e9))).toBe(false);
    });
  });
});
