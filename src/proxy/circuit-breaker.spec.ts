import { CircuitBreakers } from './circuit-breaker';

describe(CircuitBreakers.name, () => {
  it('opens after failure_threshold consecutive failures', () => {
    const breakers = new CircuitBreakers(3, 1000);
    breakers.failure('a', 0);
    breakers.failure('a', 0);
    expect(breakers.allow('a', 0)).toBe(true);
    breakers.failure('a', 0);
    expect(breakers.stateOf('a', 0)).toBe('open');
    expect(breakers.allow('a', 500)).toBe(false);
  });

  it('counts only consecutive failures', () => {
    const breakers = new CircuitBreakers(2, 1000);
    breakers.failure('a', 0);
    breakers.success('a');
    breakers.failure('a', 0);
    expect(breakers.stateOf('a', 0)).toBe('closed');
  });

  it('half-opens after its timeout and lets exactly one trial through', () => {
    const breakers = new CircuitBreakers(1, 1000);
    breakers.failure('a', 0);
    expect(breakers.stateOf('a', 999)).toBe('open');
    expect(breakers.stateOf('a', 1000)).toBe('half-open');
    expect(breakers.available('a', 1000)).toBe(true);
    expect(breakers.allow('a', 1000)).toBe(true);
    expect(breakers.allow('a', 1000)).toBe(false);
    expect(breakers.available('a', 1000)).toBe(false);
  });

  it('closes on a successful trial and opens again on a failed one', () => {
    const breakers = new CircuitBreakers(1, 1000);
    breakers.failure('a', 0);
    breakers.allow('a', 1000);
    breakers.success('a');
    expect(breakers.stateOf('a', 1000)).toBe('closed');
    breakers.failure('b', 0);
    breakers.allow('b', 1000);
    breakers.failure('b', 1000);
    expect(breakers.stateOf('b', 1500)).toBe('open');
    expect(breakers.stateOf('b', 2000)).toBe('half-open');
  });

  it('keeps instances apart', () => {
    const breakers = new CircuitBreakers(1, 1000);
    breakers.failure('a', 0);
    expect(breakers.allow('b', 0)).toBe(true);
  });
});
