// npm run bench:consul — Consul blocking queries at scale. Waypost runs on core 0 (memory store),
// this process on core 1 parks BENCH_QUERIES (default 5,000) blocking `health/service` queries
// over BENCH_SERVICES (default 500) services, and measures, each against a figure of the same run:
//   - RSS growth per parked query;
//   - the wake-up latency of one change for all of its service's queries (p50, p99);
//   - registrations per second with the queries parked, against the same registrations before;
//   - queries of other services woken by those changes (the aim: none).
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile, registerMany } from './lib/load.mjs';
import { BENCH_KEY, rssMb, startWaypostPinned, stop } from './lib/process.mjs';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 5_000);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 500);
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 2_000);
const ROUNDS = 200;
const root = new URL('..', import.meta.url).pathname;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

function get(port, path, agent) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent, headers: { 'x-consul-token': BENCH_KEY } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode, index: Number(res.headers['x-consul-index']), body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function put(port, path, body) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'PUT',
    headers: { 'x-consul-token': BENCH_KEY },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'waypost-consul-bench-'));
  const waypost = await startWaypostPinned(root, dataDir, { STORE: 'memory' });
  const port = Number(waypost.match[1]);
  const pid = waypost.child.pid;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const parked = [];
  let woken = 0;
  try {
    for (let i = 0; i < SERVICES; i++) {
      await put(port, '/v1/agent/service/register', {
        Name: `svc-${i}`,
        ID: `svc-${i}-1`,
        Address: '127.0.0.1',
        Port: 10_000 + i,
      });
    }
    const body = (i) => ({
      serviceType: `native-${i}`,
      host: '127.0.0.1',
      port: 20_000 + (i % 40_000),
      healthCheck: { type: 'none' },
    });
    // A first round warms the registration path, so "before" is not measured cold.
    await registerMany({
      origin: waypost.origin,
      key: BENCH_KEY,
      count: REGISTRATIONS,
      bodyOf: (i) => body(2 * REGISTRATIONS + i),
    });
    const before = await registerMany({
      origin: waypost.origin,
      key: BENCH_KEY,
      count: REGISTRATIONS,
      bodyOf: body,
    });

    /** Parks one query on a service at its current index; resolves when it answers. */
    const park = async (service) => {
      const { index } = await get(port, `/v1/health/service/${service}`, agent);
      const entry = { service, answered: null };
      entry.answered = get(
        port,
        `/v1/health/service/${service}?index=${index}&wait=10m`,
        agent,
      ).then(
        (answer) => {
          woken++;
          return answer;
        },
        // Cut when Waypost stops at the end.
        () => null,
      );
      parked.push(entry);
      return entry;
    };

    await pause(1000);
    const rssBefore = rssMb(pid);
    for (let i = 0; i < QUERIES; i++) await park(`svc-${i % SERVICES}`);
    await pause(2000);
    const rssAfter = rssMb(pid);

    const latencies = [];
    const drained = new Set();
    let othersWoken = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const service = `svc-${(round * 7) % SERVICES}`;
      const mine = parked.filter((p) => p.service === service && !p.done);
      const wokenBefore = woken;
      const t0 = performance.now();
      // Each change flips the service's drain, so every round changes its answer.
      const drain = !drained.has(service);
      if (drain) drained.add(service);
      else drained.delete(service);
      await put(port, `/v1/agent/service/maintenance/${service}-1?enable=${drain}`);
      await Promise.all(mine.map((p) => p.answered));
      latencies.push(performance.now() - t0);
      othersWoken += woken - wokenBefore - mine.length;
      for (const p of mine) p.done = true;
      for (const p of mine) await park(service);
    }
    latencies.sort((a, b) => a - b);

    const after = await registerMany({
      origin: waypost.origin,
      key: BENCH_KEY,
      count: REGISTRATIONS,
      bodyOf: (i) => body(REGISTRATIONS + i),
    });
    const lines = [
      `consul benchmark: ${QUERIES} blocked health/service queries over ${SERVICES} services, Waypost on core 0, load on core 1`,
      `RSS: ${rssBefore.toFixed(1)} MiB before the queries, ${rssAfter.toFixed(1)} MiB with them parked: ${(((rssAfter - rssBefore) * 1024) / QUERIES).toFixed(2)} KiB per query`,
      `wake-up of all ${QUERIES / SERVICES} queries of a service after one change: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms (aim p99 <= 100)`,
      `registrations: ${before.perSecond.toFixed(0)}/s without parked queries, ${after.perSecond.toFixed(0)}/s with them: ${(after.perSecond / before.perSecond).toFixed(2)}x`,
      `queries of other services woken by ${ROUNDS} changes: ${othersWoken} (aim 0)`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    agent.destroy();
    await stop(waypost.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
