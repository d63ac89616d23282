import { FixedWindowRateLimiter } from './rate-limiter';

describe(FixedWindowRateLimiter.name, () => {
  it('allows the limit per window and then says when to retry', () => {
    const limiter = new FixedWindowRateLimiter(3, 60_000);
    expect([0, 1, 2].map((t) => limiter.take('a', t).allowed)).toEqual([true, true, true]);
    expect(limiter.take('a', 15_000)).toEqual({ allowed: false, retryAfterSec: 45 });
    expect(limiter.take('b', 15_000).allowed).toBe(true);
    expect(limiter.take('a', 60_000).allowed).toBe(true);
  });

  it('keeps a bounded number of keys', () => {
    const limiter = new FixedWindowRateLimiter(1, 60_000, 10);
    for (let i = 0; i < 100; i++) limiter.take(`k${i}`, i);
    expect(
      (limiter as unknown as { windows: Map<string, unknown> }).windows.size,
    ).toBeLessThanOrEqual(10);
  });
});
