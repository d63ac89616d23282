import type { Telemetry, UpstreamErrorKind } from '../telemetry/telemetry';

interface CounterChild {
  inc(value?: number): void;
}

/**
 * One route's gateway series, with prom-client's label children prepared when the route arrives
 * (a child per status code on its first use), so a request pays a map lookup, an increment and
 * an observation — no label object is built per request. `route` is the route's id, never a
 * path: the series stay as many as the routes. The meter of requests no route matched has ''.
 */
export class RouteMeter {
  private readonly codes = new Map<number, CounterChild>();
  private readonly errors = new Map<UpstreamErrorKind, CounterChild>();
  private readonly duration: { observe(value: number): void };

  constructor(
    private readonly telemetry: Telemetry,
    private readonly routeId: string,
  ) {
    this.duration = telemetry.gatewayDuration.labels(routeId);
  }

  /** An answer was written; `startedMs` is the request's `performance.now()` on arrival. */
  answered(statusCode: number, startedMs: number): void {
    let child = this.codes.get(statusCode);
    if (child === undefined) {
      child = this.telemetry.gatewayRequests.labels(this.routeId, String(statusCode));
      this.codes.set(statusCode, child);
    }
    child.inc();
    this.duration.observe((performance.now() - startedMs) / 1000);
  }

  upstreamFailed(kind: UpstreamErrorKind): void {
    let child = this.errors.get(kind);
    if (child === undefined) {
      child = this.telemetry.upstreamErrors.labels(this.routeId, kind);
      this.errors.set(kind, child);
    }
    child.inc();
  }

  /** The route is gone: its series go too, so routes that come and go leave no series behind. */
  retire(): void {
    for (const code of this.codes.keys())
      this.telemetry.gatewayRequests.remove(this.routeId, String(code));
    for (const kind of this.errors.keys()) this.telemetry.upstreamErrors.remove(this.routeId, kind);
    this.telemetry.gatewayDuration.remove(this.routeId);
  }
}
