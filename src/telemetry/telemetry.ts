import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { CHECK_BUCKETS } from './buckets';
import { GatewaySeries } from './gateway-series';

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * This app's Prometheus registry (one per app, not prom-client's global one, so two apps in one
 * process never mix their series) and the series written as things happen. Series read from state
 * at scrape time (instances, routes, watchers) are added by the metrics module as collectors.
 */
@Injectable()
export class Telemetry {
  readonly registry = new Registry();

  /** The gateway's per-route series, from the tallies of the routes' meters. */
  readonly gateway = new GatewaySeries();

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
    for (const metric of this.gateway.metrics()) this.registry.registerMetric(metric);
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters fail `promtool check metrics`; each is the sum of the gauge of
    // the same name without `_total`, by type, which stays.
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
  }
}
