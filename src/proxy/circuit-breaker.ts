/**
 * Per-instance circuit breakers of one route. Closed: requests flow and consecutive failures are
 * counted; at `failureThreshold` the circuit opens and the instance gets no requests for `openMs`;
 * then it is half-open: one trial request goes through — success closes it, failure opens it again.
 * Pure: the caller passes the clock.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

interface Circuit {
  failures: number;
  openedAt: number;
  state: CircuitState;
  trialInFlight: boolean;
}

export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();

  constructor(
    private readonly failureThreshold: number,
    private readonly openMs: number,
  ) {}

  stateOf(id: string, now: number): CircuitState {
    const circuit = this.circuits.get(id);
    if (!circuit) return 'closed';
    if (circuit.state === 'open' && now - circuit.openedAt >= this.openMs)
      circuit.state = 'half-open';
    return circuit.state;
  }

  /** May a request go to this instance now? Takes the one trial slot of a half-open circuit. */
  allow(id: string, now: number): boolean {
    const state = this.stateOf(id, now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const circuit = this.circuits.get(id) as Circuit;
    if (circuit.trialInFlight) return false;
    circuit.trialInFlight = true;
    return true;
  }

  /** Like allow, without taking the trial slot: for choosing candidates. */
  available(id: string, now: number): boolean {
    const state = this.stateOf(id, now);
    return (
      state === 'closed' ||
      (state === 'half-open' && !(this.circuits.get(id) as Circuit).trialInFlight)
    );
  }

  success(id: string): void {
    this.circuits.delete(id);
  }

  failure(id: string, now: number): void {
    const circuit = this.circuits.get(id) ?? {
      failures: 0,
      openedAt: 0,
      state: 'closed' as CircuitState,
      trialInFlight: false,
    };
    circuit.trialInFlight = false;
    circuit.failures++;
    if (circuit.state === 'half-open' || circuit.failures >= this.failureThreshold) {
      circuit.state = 'open';
      circuit.openedAt = now;
    }
    this.circuits.set(id, circuit);
  }
}
