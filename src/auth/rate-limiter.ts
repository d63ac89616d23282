/**
 * A fixed-window counter per key (a client IP). Pure: the caller passes the clock, so tests drive it
 * without timers. Memory stays bounded: expired windows are swept as new ones open.
 */
export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets; set when refused. */
  retryAfterSec: number;
}

export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  take(key: string, now: number): RateDecision {
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count >= this.limit) {
      return {
        allowed: false,
        retryAfterSec: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)),
      };
    }
    window.count++;
    return { allowed: true, retryAfterSec: 0 };
  }

  /** What `take` would answer now, without taking anything (route explain). */
  peek(key: string, now: number): RateDecision & { remaining: number } {
    const window = this.windows.get(key);
    const used = window && now - window.start < this.windowMs ? window.count : 0;
    if (window && used >= this.limit) {
      return {
        allowed: false,
        remaining: 0,
        retryAfterSec: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)),
      };
    }
    return { allowed: true, remaining: this.limit - used, retryAfterSec: 0 };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs && this.windows.size < this.maxKeys) return;
    this.lastSweep = now;
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.windowMs) this.windows.delete(key);
    }
    // Under a flood of distinct sources, forget the oldest windows rather than grow without bound.
    while (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value as string;
      this.windows.delete(oldest);
    }
  }
}
