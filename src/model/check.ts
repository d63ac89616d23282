import type { CheckOutcome } from './health';
import { HealthCheckSpec, InstanceRecord, InstanceStatus, ttlOf } from './instance';

/**
 * The checks of an instance. A native registration brings one (its `healthCheck`); a Consul
 * registration may bring several, and the instance is UP only while all of them pass. Each check
 * keeps its own status under the health thresholds; the instance's status follows from them
 * (`statusOfChecks`). Pure types and rules.
 */

export const CHECK_STATUSES = ['passing', 'warning', 'critical'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export type CheckKind = 'http' | 'tcp' | 'ttl';

/** What a check is: declared at registration, never changed by its results. */
export interface CheckSpec {
  /** Consul's CheckID: `service:<instance id>`, or `service:<id>:1`, `:2`… when there are several. */
  id: string;
  name: string;
  type: CheckKind;
  /** http: a whole URL; tcp: `host:port`. Null: the instance's own address (plus `path` for http). */
  target: string | null;
  path: string;
  interval: number | null;
  timeout: number | null;
  ttl: number | null;
}

/** A check as registered: the id may be left to the registry, and the status to start with given. */
export type CheckDeclaration = Omit<CheckSpec, 'id'> & {
  id: string | null;
  initialStatus: CheckStatus;
};

export interface InstanceCheck extends CheckSpec {
  status: CheckStatus;
  /**
   * False while the check has no verdict of its own: a new check is critical (as in Consul) but has
   * not failed, so its instance is UNKNOWN rather than DOWN.
   */
  settled: boolean;
  /** Why the check is in its status: the failure that made it critical, or a ttl update's note. */
  output: string;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastCheckAt: string | null;
  /** ttl checks: when their clock last started (a pass, warn, fail or heartbeat); null: registration. */
  renewedAt: string | null;
}

/** What a check's results change: everything of an `InstanceCheck` but its spec. */
export type CheckState = Omit<InstanceCheck, keyof CheckSpec>;

/**
 * A check from its spec and state, built field by field in one order: every check shares one
 * hidden class. Object spreads gave checks of different origins (native, Consul, a stored record)
 * different ones — 1,101 for 3,000 ttl checks after one heartbeat each — and the health monitor's
 * reads of them went megamorphic.
 */
function checkOf(spec: CheckSpec, state: CheckState): InstanceCheck {
  return {
    id: spec.id,
    name: spec.name,
    type: spec.type,
    target: spec.target,
    path: spec.path,
    interval: spec.interval,
    timeout: spec.timeout,
    ttl: spec.ttl,
    status: state.status,
    settled: state.settled,
    output: state.output,
    consecutiveFailures: state.consecutiveFailures,
    consecutiveSuccesses: state.consecutiveSuccesses,
    lastCheckAt: state.lastCheckAt,
    renewedAt: state.renewedAt,
  };
}

/** `check` with `changes`; a field left undefined keeps its value. */
export function checkWith(check: InstanceCheck, changes: Partial<CheckState>): InstanceCheck {
  return checkOf(check, {
    status: changes.status ?? check.status,
    settled: changes.settled ?? check.settled,
    output: changes.output ?? check.output,
    consecutiveFailures: changes.consecutiveFailures ?? check.consecutiveFailures,
    consecutiveSuccesses: changes.consecutiveSuccesses ?? check.consecutiveSuccesses,
    lastCheckAt: changes.lastCheckAt !== undefined ? changes.lastCheckAt : check.lastCheckAt,
    renewedAt: changes.renewedAt !== undefined ? changes.renewedAt : check.renewedAt,
  });
}

/** The one check a native `healthCheck` stands for; none for type `none`. */
export function declareChecks(healthCheck: HealthCheckSpec): CheckDeclaration[] {
  if (healthCheck.type === 'none') return [];
  return [
    {
      id: null,
      name: 'Service health',
      type: healthCheck.type,
      target: null,
      path: healthCheck.path,
      interval: healthCheck.interval,
      timeout: healthCheck.timeout,
      ttl: healthCheck.ttl,
      initialStatus: 'critical',
    },
  ];
}

/** The checks of a new registration, each with its id and its first status. */
export function initialChecks(
  declarations: readonly CheckDeclaration[],
  instanceId: string,
): InstanceCheck[] {
  return declarations.map((declaration, index) =>
    checkOf(
      {
        ...declaration,
        id:
          declaration.id ??
          (declarations.length === 1
            ? `service:${instanceId}`
            : `service:${instanceId}:${index + 1}`),
      },
      {
        status: declaration.initialStatus,
        settled: declaration.initialStatus !== 'critical',
        output: '',
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
        lastCheckAt: null,
        renewedAt: null,
      },
    ),
  );
}

/** A check back at its start (after a drain): critical without a verdict, counters at zero. */
export function restartedCheck(check: InstanceCheck): InstanceCheck {
  return checkWith(check, {
    status: 'critical',
    settled: false,
    output: '',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
  });
}

/**
 * The status the checks give an instance: UP while all pass (or there are none), DOWN once any has
 * a verdict other than passing, UNKNOWN while some still wait for theirs.
 */
export function statusOfChecks(
  checks: readonly InstanceCheck[],
): Exclude<InstanceStatus, 'MAINTENANCE'> {
  let waiting = false;
  for (const check of checks) {
    if (check.status === 'passing') continue;
    if (check.settled) return 'DOWN';
    waiting = true;
  }
  return waiting ? 'UNKNOWN' : 'UP';
}

export function isProbe(check: Pick<CheckSpec, 'type'>): boolean {
  return check.type !== 'ttl';
}

/** Host and port of a tcp check's `host:port` target (IPv6 literals in brackets). */
export function tcpAddressOf(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(target.slice(colon + 1)) };
}

/** When a ttl check runs out: its ttl after it was last renewed, or after the registration. */
export function ttlDeadlineOf(
  check: Pick<InstanceCheck, 'ttl' | 'renewedAt'>,
  registeredAt: string,
): number {
  return Date.parse(check.renewedAt ?? registeredAt) + ttlOf(check);
}

/** The outcome of several probes as one: failed if any failed, as slow as the slowest. */
export function combineOutcomes(outcomes: Iterable<CheckOutcome>): CheckOutcome {
  let ok = true;
  let responseTimeMs = 0;
  let error: string | null = null;
  for (const outcome of outcomes) {
    responseTimeMs = Math.max(responseTimeMs, outcome.responseTimeMs);
    if (!outcome.ok) {
      ok = false;
      error ??= outcome.error;
    }
  }
  return { ok, responseTimeMs, error };
}

/** True when two lists of checks have the same specs: what a re-registration may leave alone. */
export function sameCheckSpecs(a: readonly CheckSpec[], b: readonly CheckSpec[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((check, i) => {
    const other = b[i] as CheckSpec;
    return (
      check.id === other.id &&
      check.type === other.type &&
      check.target === other.target &&
      check.path === other.path &&
      check.interval === other.interval &&
      check.timeout === other.timeout &&
      check.ttl === other.ttl
    );
  });
}

/**
 * A record stored before instances had several checks: its one check, with the status the
 * instance had. Records that have `checks` come back unchanged.
 */
export function upgradeRecord(stored: InstanceRecord): InstanceRecord {
  if (Array.isArray(stored.checks)) return stored;
  const [check] = initialChecks(declareChecks(stored.healthCheck), stored.id);
  const checks = check
    ? [
        checkOf(check, {
          status: stored.status === 'UP' ? 'passing' : 'critical',
          settled: stored.status === 'UP' || stored.status === 'DOWN',
          output: stored.status === 'DOWN' ? (stored.lastError ?? '') : '',
          consecutiveFailures: stored.consecutiveFailures,
          consecutiveSuccesses: stored.consecutiveSuccesses,
          lastCheckAt: stored.lastCheckAt,
          renewedAt: stored.lastHeartbeatAt,
        }),
      ]
    : [];
  return { ...stored, checks, deregisterAfter: stored.deregisterAfter ?? null };
}
