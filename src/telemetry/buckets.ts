/**
 * Histogram buckets, in seconds. A gateway answer takes from well under a millisecond (a cached
 * backend on the same host) to the 30 s of PROXY_TIMEOUT's default; a health check is bounded by
 * HEALTH_CHECK_TIMEOUT. Fewer buckets would hide the sub-millisecond range a gateway lives in.
 */
export const GATEWAY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export const CHECK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
