import type { Metric } from 'prom-client';
import { GATEWAY_BUCKETS } from './buckets';

/** How an upstream attempt failed, as `waypost_upstream_errors_total` labels it. */
export type UpstreamErrorKind = 'refused' | 'reset' | 'timeout';

/** What one route has counted since it entered the route table, as the gateway writes it. */
export interface RouteTally {
  readonly routeId: string;
  /** Answers by status code. */
  readonly codes: ReadonlyMap<number, number>;
  readonly errors: ReadonlyMap<UpstreamErrorKind, number>;
  /** Answers per duration bucket, not cumulative: one per GATEWAY_BUCKETS bound, then +Inf. */
  readonly buckets: ArrayLike<number>;
  /** Seconds, summed over every answer. */
  readonly durationSum: number;
}

interface SeriesValue {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
}

/** The exposition type, as prom-client's metrics give it at run time (its typings say an enum). */
type SeriesType = 'counter' | 'histogram';

/** A metric prom-client's registry can format: what its own metrics' `get()` answer. */
interface CollectedMetric {
  name: string;
  help: string;
  type: SeriesType;
  aggregator: 'sum';
  get(): Promise<{
    name: string;
    help: string;
    type: SeriesType;
    aggregator: 'sum';
    values: SeriesValue[];
  }>;
  reset(): void;
}

const BUCKET_LABELS = [...GATEWAY_BUCKETS.map(String), '+Inf'];

/**
 * The gateway's per-route series, read from the routes' tallies when Prometheus scrapes. prom-client's
 * own labelled children validate and join their label values into a key on every increment — two
 * string builds per request with a route id in each; a tally costs a map update and an array
 * increment instead, and the registry formats the series as it does its own.
 */
export class GatewaySeries {
  readonly tallies = new Set<RouteTally>();

  /** The three metrics, for `registry.registerMetric`. */
  metrics(): Metric[] {
    return [
      this.metric(
        'waypost_gateway_requests_total',
        'Gateway answers by route id and status code.',
        'counter',
        (tally, values) => {
          for (const [code, value] of tally.codes)
            values.push({ labels: { route: tally.routeId, code: String(code) }, value });
        },
      ),
      this.metric(
        'waypost_gateway_request_duration_seconds',
        'Time from a request arriving to its answer being written, by route id.',
        'histogram',
        (tally, values) => durationValues(tally, values),
      ),
      this.metric(
        'waypost_upstream_errors_total',
        'Attempts to reach a backend that failed, by route id and kind.',
        'counter',
        (tally, values) => {
          for (const [kind, value] of tally.errors)
            values.push({ labels: { route: tally.routeId, kind }, value });
        },
      ),
    ] as unknown as Metric[];
  }

  private metric(
    name: string,
    help: string,
    type: SeriesType,
    add: (tally: RouteTally, values: SeriesValue[]) => void,
  ): CollectedMetric {
    const tallies = this.tallies;
    return {
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => {
        const values: SeriesValue[] = [];
        for (const tally of tallies) add(tally, values);
        return Promise.resolve({ name, help, type, aggregator: 'sum', values });
      },
      // Counts belong to their routes; Registry.resetMetrics() has nothing of its own to reset.
      reset: () => undefined,
    };
  }
}

const BASE = 'waypost_gateway_request_duration_seconds';

/** A histogram's exposition: cumulative `_bucket`s by `le`, then `_sum` and `_count`. */
function durationValues(tally: RouteTally, values: SeriesValue[]): void {
  // A route nobody has called yet has no series, as with prom-client's own children: 10,000 idle
  // routes would otherwise put 180,000 zeros into every scrape.
  if (tally.codes.size === 0) return;
  const route = tally.routeId;
  let cumulative = 0;
  for (let i = 0; i < BUCKET_LABELS.length; i++) {
    cumulative += tally.buckets[i];
    values.push({
      labels: { le: BUCKET_LABELS[i], route },
      value: cumulative,
      metricName: `${BASE}_bucket`,
    });
  }
  values.push({ labels: { route }, value: tally.durationSum, metricName: `${BASE}_sum` });
  values.push({ labels: { route }, value: cumulative, metricName: `${BASE}_count` });
}

/** The bucket of a duration in seconds: the first bound it does not exceed, else +Inf's. */
export function bucketOf(seconds: number): number {
  for (let i = 0; i < GATEWAY_BUCKETS.length; i++) if (seconds <= GATEWAY_BUCKETS[i]) return i;
  return GATEWAY_BUCKETS.length;
}
