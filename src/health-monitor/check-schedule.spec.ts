import { nextDue, phaseOf } from './check-schedule';

describe('check schedule', () => {
  it('gives each id a stable phase inside the interval', () => {
    expect(phaseOf('abc', 10_000)).toBe(phaseOf('abc', 10_000));
    for (let i = 0; i < 100; i++) {
      const phase = phaseOf(`id-${i}`, 10_000);
      expect(phase).toBeGreaterThanOrEqual(0);
      expect(phase).toBeLessThan(10_000);
    }
  });

  it('spreads 10,000 instances evenly over the interval', () => {
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(phaseOf(`instance-${i}`, 10_000) / 1000)]++;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('schedules the next slot after now, never more than one interval away', () => {
    expect(nextDue(0, 1000, 300)).toBe(300);
    expect(nextDue(300, 1000, 300)).toBe(1300);
    expect(nextDue(1299, 1000, 300)).toBe(1300);
    for (const now of [0, 17, 999, 123456]) {
      const due = nextDue(now, 1000, 650);
      expect(due).toBeGreaterThan(now);
      expect(due - now).toBeLessThanOrEqual(1000);
    }
  });
});
