import { HEAP_TRIM, MIB, shouldTrim } from './heap-trim-policy';

const last = { heapTotal: 60 * MIB, at: 0 };
const quietAndGrown = { utilization: 0.001, heapTotal: 60 * MIB + HEAP_TRIM.grownBy, now: 60_000 };

describe(shouldTrim.name, () => {
  it('trims a heap that grew, once the process is quiet', () => {
    expect(shouldTrim(quietAndGrown, last)).toBe(true);
  });

  it('never trims under load, where the pause would land on requests', () => {
    expect(shouldTrim({ ...quietAndGrown, utilization: HEAP_TRIM.quietBelow }, last)).toBe(false);
  });

  it('leaves a heap that has not grown since the last trim alone', () => {
    expect(
      shouldTrim({ ...quietAndGrown, heapTotal: last.heapTotal + HEAP_TRIM.grownBy - 1 }, last),
    ).toBe(false);
  });

  it('trims at most once per interval', () => {
    const soon = { ...quietAndGrown, now: HEAP_TRIM.minIntervalMs - 1 };
    expect(shouldTrim(soon, last)).toBe(false);
    expect(shouldTrim({ ...soon, now: HEAP_TRIM.minIntervalMs }, last)).toBe(true);
  });
});
