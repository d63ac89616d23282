/** What a health check found, and what the health monitor and the gateway report to the registry. */

export interface CheckOutcome {
  ok: boolean;
  responseTimeMs: number;
  /** Why it failed, in words; null when it passed. */
  error: string | null;
}

/**
 * A report on an instance's health: an active probe's outcome, a request of live traffic that could
 * not reach it (a passive check), or a ttl that ran out without a heartbeat.
 */
export type CheckReport =
  | {
      kind: 'probe';
      /** Every http and tcp check's outcome as one (failed if any failed). */
      outcome: CheckOutcome;
      /** Each check's own outcome by check id, when the instance has several; else `outcome`. */
      perCheck?: ReadonlyMap<string, CheckOutcome>;
    }
  | { kind: 'traffic'; error: string }
  | { kind: 'ttl' };

/** The reason a report gives a change: a probe is a `check`, the rest are named for themselves. */
export function reasonOf(report: CheckReport): 'check' | 'traffic' | 'ttl' {
  return report.kind === 'probe' ? 'check' : report.kind;
}

/** The thresholds of the health settings that decide an instance's status. */
export interface HealthThresholds {
  healthyThreshold: number;
  unhealthyThreshold: number;
  stopChecksAfter: number;
}
