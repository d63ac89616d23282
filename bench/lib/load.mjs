// Closed-loop HTTP load: `concurrency` workers each send the next request as soon as the last answers.
// Bounded by count and time; answers throughput and latency percentiles.
import { Pool } from 'undici';

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * @param origin e.g. http://127.0.0.1:8081
 * @param next (i) => ({ method, path, headers, body }) or null when done
 */
/** With `ratePerSec`, requests start on a fixed schedule (open loop) instead of back to back. */
export async function runLoad({
  origin,
  concurrency,
  durationMs,
  maxRequests,
  next,
  expectStatus,
  ratePerSec,
}) {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const latencies = [];
  let issued = 0;
  let failures = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  async function worker() {
    for (;;) {
      if (issued >= maxRequests || performance.now() > deadline) return;
      const index = issued++;
      const spec = next(index);
      if (!spec) return;
      if (ratePerSec) {
        const startAt = started + (index * 1000) / ratePerSec;
        const wait = startAt - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const t0 = performance.now();
      const res = await pool.request(spec);
      await res.body.dump();
      latencies.push(performance.now() - t0);
      if (res.statusCode !== expectStatus) failures++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failures,
    perSecond: latencies.length / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

export function fmt(result) {
  return `${result.perSecond.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  (${result.requests} requests, ${result.failures} failed)`;
}

/**
 * Registers `count` instances through `POST /service`, 32 at a time; `bodyOf(i)` gives each body.
 * With `ratePerSec`, on that schedule instead (open loop), from `concurrency` connections.
 */
export function registerMany({ origin, key, count, bodyOf, ratePerSec, concurrency = 32 }) {
  return runLoad({
    origin,
    concurrency,
    durationMs: 600_000,
    maxRequests: count,
    ratePerSec,
    expectStatus: 201,
    next: (i) =>
      i >= count
        ? null
        : {
            method: 'POST',
            path: '/service',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify(bodyOf(i)),
          },
  });
}
