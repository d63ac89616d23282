import { backoffMs, FailedAttempt, failureOf, mayRetry, upstreamErrorKind } from './retry-policy';

const attempt = (overrides: Partial<FailedAttempt> = {}): FailedAttempt => ({
  method: 'GET',
  code: 'ECONNRESET',
  attemptsLeft: 2,
  hasBody: false,
  bodyStarted: false,
  ...overrides,
});

describe('retry policy', () => {
  it('retries idempotent methods while attempts are left', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])
      expect(mayRetry(attempt({ method }))).toBe(true);
    expect(mayRetry(attempt({ attemptsLeft: 0 }))).toBe(false);
  });

  it('retries any method when the backend was never connected to', () => {
    expect(mayRetry(attempt({ method: 'POST', code: 'ECONNRESET' }))).toBe(false);
    for (const code of ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH'])
      expect(mayRetry(attempt({ method: 'POST', code, hasBody: true }))).toBe(true);
  });

  it('never sends a body again once part of it went, and never waits twice for a slow backend', () => {
    expect(mayRetry(attempt({ method: 'PUT', hasBody: true, bodyStarted: true }))).toBe(false);
    expect(mayRetry(attempt({ code: 'ECONNREFUSED', hasBody: true, bodyStarted: true }))).toBe(
      false,
    );
    expect(mayRetry(attempt({ code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe(false);
  });

  it('backs off 50 ms each time (fixed) or 50, 100, 200 ms (exponential, the default)', () => {
    const fixed = { enabled: true, max_attempts: 3, backoff: 'fixed' as const };
    expect([1, 2, 3].map((n) => backoffMs(fixed, n))).toEqual([50, 50, 50]);
    expect([1, 2, 3].map((n) => backoffMs(undefined, n))).toEqual([50, 100, 200]);
  });

  it('turns timeouts into 504 and everything else into 502', () => {
    expect(failureOf('UND_ERR_HEADERS_TIMEOUT', 2000)).toEqual({
      code: 'GATEWAY_TIMEOUT',
      message: 'the backend did not answer within 2000ms',
    });
    expect(failureOf('UND_ERR_BODY_TIMEOUT', 10).code).toBe('GATEWAY_TIMEOUT');
    expect(failureOf('ECONNRESET', 10).code).toBe('BAD_GATEWAY');
    expect(failureOf('', 10).code).toBe('BAD_GATEWAY');
  });

  it('names a failed attempt refused, timeout or reset for the metrics', () => {
    expect(upstreamErrorKind('ECONNREFUSED')).toBe('refused');
    expect(upstreamErrorKind('ENOTFOUND')).toBe('refused');
    expect(upstreamErrorKind('UND_ERR_HEADERS_TIMEOUT')).toBe('timeout');
    expect(upstreamErrorKind('UND_ERR_CONNECT_TIMEOUT')).toBe('timeout');
    expect(upstreamErrorKind('ECONNRESET')).toBe('reset');
    expect(upstreamErrorKind('UND_ERR_SOCKET')).toBe('reset');
    expect(upstreamErrorKind('')).toBe('reset');
  });
});
