import { anInstanceRecord } from '../../../test/factories';
import {
  CheckDeclaration,
  checkWith,
  declareChecks,
  initialChecks,
  restartedCheck,
  upgradeRecord,
} from '../../model/check';
import type { InstanceRecord } from '../../model/instance';
import { checkExpired, checkPassed, checkTold } from './check-transitions';

const thresholds = { healthyThreshold: 2, unhealthyThreshold: 3, stopChecksAfter: 10 };
const now = '2026-12-07T00:00:00.000Z';

/** A Consul check, declared with its keys in another order than a native one. */
const consulDeclaration: CheckDeclaration = {
  initialStatus: 'passing',
  ttl: 30_000,
  timeout: null,
  interval: null,
  path: '',
  target: null,
  type: 'ttl',
  name: 'ttl',
  id: 'service:x:ttl',
};

describe('check transitions', () => {
  it('keep their values and take the changes given, null included', () => {
    const [check] = initialChecks([consulDeclaration], 'x');
    const told = checkWith(check, { lastCheckAt: now, renewedAt: now, output: 'fine' });
    expect(told).toEqual({ ...check, lastCheckAt: now, renewedAt: now, output: 'fine' });
    expect(checkWith(told, { renewedAt: null, consecutiveFailures: 0 })).toEqual({
      ...told,
      renewedAt: null,
    });
  });

  it('have one key order whatever their origin and whatever happened to them', () => {
    const [native] = initialChecks(
      declareChecks({ type: 'http', path: '/health', interval: 10_000, timeout: 2_000, ttl: null }),
      'a',
    );
    const [consul] = initialChecks([consulDeclaration], 'b');
    // A record stored before instances had several checks.
    const [stored] = upgradeRecord({
      ...anInstanceRecord({ id: 'c' }),
      checks: undefined,
      healthCheck: { type: 'ttl', path: '/health', interval: null, timeout: null, ttl: 5_000 },
    } as unknown as InstanceRecord).checks;
    const order = Object.keys(native);
    for (const check of [
      consul,
      stored,
      checkPassed(consul, thresholds, now),
      checkTold(stored, 'warning', 'slow', now),
      checkExpired(consul, now),
      restartedCheck(stored),
    ]) {
      expect(Object.keys(check)).toEqual(order);
    }
  });
});
