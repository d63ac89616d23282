import { GATEWAY_BUCKETS } from '../telemetry/buckets';
import { bucketOf, RouteTally, UpstreamErrorKind } from '../telemetry/gateway-series';
import type { Telemetry } from '../telemetry/telemetry';

/**
 * One route's gateway counts, kept as plain numbers that the registry reads when Prometheus scrapes
 * (GatewaySeries): a request pays a map update, a bucket scan and an array increment — no label
 * object, no string. `route` is the route's id, never a path: the series stay as many as the
 * routes. The meter of requests no route matched has ''.
 */
export class RouteMeter implements RouteTally {
  readonly codes = new Map<number, number>();
  readonly errors = new Map<UpstreamErrorKind, number>();
  readonly buckets = new Float64Array(GATEWAY_BUCKETS.length + 1);
  durationSum = 0;

  constructor(
    private readonly telemetry: Telemetry,
    readonly routeId: string,
  ) {
    telemetry.gateway.tallies.add(this);
  }

  /** An answer was written; `startedMs` is the request's `performance.now()` on arrival. */
  answered(statusCode: number, startedMs: number): void {
    this.codes.set(statusCode, (this.codes.get(statusCode) ?? 0) + 1);
    const seconds = (performance.now() - startedMs) / 1000;
    this.buckets[bucketOf(seconds)]++;
    this.durationSum += seconds;
  }

  upstreamFailed(kind: UpstreamErrorKind): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  /** The route is gone: its series go too, so routes that come and go leave no series behind. */
  retire(): void {
    this.telemetry.gateway.tallies.delete(this);
  }
}
