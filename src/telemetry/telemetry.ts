import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { CHECK_BUCKETS, GATEWAY_BUCKETS } from './buckets';

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** How an upstream attempt failed, as `waypost_upstream_errors_total` labels it. */
export type UpstreamErrorKind = 'refused' | 'reset' | 'timeout';

/**
 * This app's Prometheus registry (one per app, not prom-client's global one, so two apps in one
 * process never mix their series) and the series written as things happen. Series read from state
 * at scrape time (instances, routes, watchers) are added by the metrics module as collectors.
 */
@Injectable()
export class Telemetry {
  readonly registry = new Registry();

  readonly gatewayRequests = new Counter({
    name: 'waypost_gateway_requests_total',
    help: 'Gateway answers by route id and status code.',
    labelNames: ['route', 'code'] as const,
    registers: [this.registry],
  });

  readonly gatewayDuration = new Histogram({
    name: 'waypost_gateway_request_duration_seconds',
    help: 'Time from a request arriving to its answer being written, by route id.',
    labelNames: ['route'] as const,
    buckets: GATEWAY_BUCKETS,
    registers: [this.registry],
  });

  readonly upstreamErrors = new Counter({
    name: 'waypost_upstream_errors_total',
    help: 'Attempts to reach a backend that failed, by route id and kind.',
    labelNames: ['route', 'kind'] as const,
    registers: [this.registry],
  });

  readonly healthChecks = new Counter({
    name: 'waypost_health_checks_total',
    help: 'Health check results (probes, missed ttls and failed live traffic) by service.',
    labelNames: ['service', 'result'] as const,
    registers: [this.registry],
  });

  readonly healthCheckDuration = new Histogram({
    name: 'waypost_health_check_duration_seconds',
    help: 'Time an active health check (http or tcp) took.',
    buckets: CHECK_BUCKETS,
    registers: [this.registry],
  });

  readonly registryChanges = new Counter({
    name: 'waypost_registry_changes_total',
    help: 'Committed registry changes by operation.',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters fail `promtool check metrics`; each is the sum of the gauge of
    // the same name without `_total`, by type, which stays.
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
  }
}
