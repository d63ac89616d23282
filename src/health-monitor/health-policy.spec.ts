import {
  applyCheck,
  applyHeartbeat,
  applyTtlExpired,
  HealthFields,
  shouldDeregister,
} from './health-policy';

const thresholds = { healthyThreshold: 1, unhealthyThreshold: 3, stopChecksAfter: 10 };
const pass = { ok: true, responseTimeMs: 4, error: null };
const fail = { ok: false, responseTimeMs: 2000, error: 'timed out after 2000ms' };
const NOW = '2026-11-23T08:00:00.000Z';

function fields(overrides: Partial<HealthFields> = {}): HealthFields {
  return {
    status: 'UNKNOWN',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    checksStopped: false,
    downSince: null,
    lastCheckAt: null,
    lastSuccessAt: null,
    responseTimeMs: null,
    lastError: null,
    ...overrides,
  };
}

function run(start: HealthFields, results: boolean[], t = thresholds): HealthFields {
  return results.reduce((state, ok) => applyCheck(state, ok ? pass : fail, t, NOW).fields, start);
}

describe('health policy', () => {
  it('makes an UNKNOWN instance UP after HEALTHY_THRESHOLD passes', () => {
    expect(applyCheck(fields(), pass, thresholds, NOW).statusChange).toEqual({
      from: 'UNKNOWN',
      to: 'UP',
    });
    const two = { ...thresholds, healthyThreshold: 2 };
    expect(run(fields(), [true], two).status).toBe('UNKNOWN');
    expect(run(fields(), [true, true], two).status).toBe('UP');
  });

  it('marks an instance DOWN after UNHEALTHY_THRESHOLD consecutive failures', () => {
    expect(run(fields({ status: 'UP' }), [false, false]).status).toBe('UP');
    const third = applyCheck(run(fields({ status: 'UP' }), [false, false]), fail, thresholds, NOW);
    expect(third.statusChange).toEqual({ from: 'UP', to: 'DOWN' });
    expect(third.fields).toMatchObject({
      downSince: NOW,
      consecutiveFailures: 3,
      lastError: 'timed out after 2000ms',
    });
  });

  it('marks a never-healthy UNKNOWN instance DOWN after the same threshold', () => {
    expect(run(fields(), [false, false, false]).status).toBe('DOWN');
  });

  it('needs the failures to be consecutive', () => {
    expect(run(fields({ status: 'UP' }), [false, false, true, false, false]).status).toBe('UP');
  });

  it('brings a DOWN instance back UP after HEALTHY_THRESHOLD passes and clears downSince', () => {
    const down = run(fields({ status: 'UP' }), [false, false, false]);
    const back = applyCheck(down, pass, thresholds, NOW);
    expect(back.statusChange).toEqual({ from: 'DOWN', to: 'UP' });
    expect(back.fields).toMatchObject({
      downSince: null,
      consecutiveFailures: 0,
      lastError: null,
      lastSuccessAt: NOW,
    });
    expect(run(down, [true, false], { ...thresholds, healthyThreshold: 2 }).status).toBe('DOWN');
  });

  it('stops checks after STOP_CHECKS_AFTER consecutive failures, and says so once', () => {
    const nine = run(fields({ status: 'UP' }), Array(9).fill(false));
    expect(nine.checksStopped).toBe(false);
    const tenth = applyCheck(nine, fail, thresholds, NOW);
    expect(tenth.stopped).toBe(true);
    expect(tenth.fields).toMatchObject({ status: 'DOWN', checksStopped: true });
    expect(applyCheck(tenth.fields, fail, thresholds, NOW).stopped).toBe(false);
  });

  it('never changes MAINTENANCE, whatever the checks say', () => {
    const maintenance = fields({ status: 'MAINTENANCE' });
    expect(run(maintenance, [false, false, false, false]).status).toBe('MAINTENANCE');
    expect(applyCheck(maintenance, pass, thresholds, NOW).statusChange).toBeNull();
    expect(applyTtlExpired(maintenance, 1000, NOW).statusChange).toBeNull();
    expect(applyHeartbeat(maintenance, NOW).fields.status).toBe('MAINTENANCE');
  });

  it('records every check: time, response time, last error', () => {
    const after = applyCheck(fields({ status: 'UP' }), fail, thresholds, NOW).fields;
    expect(after).toMatchObject({
      lastCheckAt: NOW,
      responseTimeMs: 2000,
      lastError: 'timed out after 2000ms',
    });
  });

  it('takes a TTL instance DOWN at once when its ttl passes, and UP with its next heartbeat', () => {
    const expired = applyTtlExpired(fields({ status: 'UP' }), 5000, NOW);
    expect(expired.statusChange).toEqual({ from: 'UP', to: 'DOWN' });
    expect(expired.fields.lastError).toBe('no heartbeat within 5000ms');
    expect(applyTtlExpired(expired.fields, 5000, NOW).statusChange).toBeNull();
    const beat = applyHeartbeat(expired.fields, NOW);
    expect(beat.statusChange).toEqual({ from: 'DOWN', to: 'UP' });
    expect(beat.fields).toMatchObject({ downSince: null, checksStopped: false });
  });

  it('restarts stopped checks on a heartbeat', () => {
    const stopped = run(fields({ status: 'UP' }), Array(10).fill(false));
    expect(applyHeartbeat(stopped, NOW).fields.checksStopped).toBe(false);
  });

  it('deregisters only what stayed DOWN for DEREGISTER_AFTER', () => {
    const now = Date.parse(NOW);
    const downFor = (ms: number) =>
      fields({ status: 'DOWN', downSince: new Date(now - ms).toISOString() });
    expect(shouldDeregister(downFor(60_000), 60_000, now)).toBe(true);
    expect(shouldDeregister(downFor(59_000), 60_000, now)).toBe(false);
    expect(shouldDeregister(downFor(60_000), null, now)).toBe(false);
    expect(shouldDeregister(fields({ status: 'UP' }), 1, now)).toBe(false);
  });
});
