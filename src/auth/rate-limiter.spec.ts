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

describe('FixedWindowRateLimiter.peek', () => {
  it('answers what take would, without taking', () => {
    const limiter = new FixedWindowRateLimiter(2, 60_000);
    expect(limiter.peek('a', 0)).toEqual({ allowed: true, remaining: 2, retryAfterSec: 0 });
    limiter.take('a', 0);
    expect(limiter.peek('a', 1)).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.peek('a', 1)).toMatchObject({ remaining: 1 });
    limiter.take('a', 1);
    expect(limiter.peek('a', 1_000)).toEqual({ allowed: false, remaining: 0, retryAfterSec: 59 });
    expect(limiter.peek('a', 60_000)).toMatchObject({ allowed: true, remaining: 2 });
  });
});
