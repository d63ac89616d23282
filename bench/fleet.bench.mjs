// npm run bench:fleet — Waypost as a fleet: three nodes on one etcd member (Debian's etcd-server).
// - registrations/s through one node, then through all three at once;
// - change propagation: a registration on node A until node C's gateway routes it (p50/p99);
// - health checks per instance per interval across the fleet (the aim is 1.0, not 3);
// - the single node on sqlite, this build against BENCH_BEFORE's (a build from before the store
//   became asynchronous), registrations and discovery reads in alternating rounds.
// Two cores: etcd and the load on core 1, the Waypost nodes on core 0 (a single node: core 0).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, percentile, registerMany, runLoad } from './lib/load.mjs';
import { BENCH_ADMIN, BENCH_KEY, startWaypostPinned, stop } from './lib/process.mjs';
import { freePort, median } from './lib/wrk.mjs';

const root = new URL('..', import.meta.url).pathname;
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 3_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const CHECKED = Number(process.env.BENCH_CHECKED ?? 300);
const CHECK_SECONDS = Number(process.env.BENCH_CHECK_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BEFORE = process.env.BENCH_BEFORE ? join(process.env.BENCH_BEFORE, 'dist/main.js') : null;
const admin = { authorization: `Bearer ${BENCH_ADMIN}` };

async function startEtcd(dir) {
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const child = spawn(
    'taskset',
    [
      '-c',
      '1',
      'etcd',
      '--data-dir',
      dir,
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 200; i++) {
    try {
      if ((await (await fetch(`${url}/health`)).json()).health === 'true') return { child, url };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('etcd did not start');
}

const body = (i, serviceType = `svc-${i % 100}`) => ({
  serviceType,
  host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  port: 3000,
  healthCheck: { type: 'none' },
});

/** Registers `count` instances spread over `origins` at once; answers registrations per second. */
async function registerThrough(origins, count, offset) {
  const started = performance.now();
  const results = await Promise.all(
    origins.map((origin, n) =>
      registerMany({
        origin,
        key: BENCH_KEY,
        count: Math.floor(count / origins.length),
        bodyOf: (i) => body(offset + n * count + i),
      }),
    ),
  );
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const failures = results.reduce((sum, r) => sum + r.failures, 0);
  return { perSecond: requests / ((performance.now() - started) / 1000), requests, failures };
}

/** A registration with a route on A, timed until C's gateway answers through it. */
async function propagation(a, c, samples) {
  const backend = createServer((req, res) => res.end('ok'));
  await new Promise((r) => backend.listen(0, '127.0.0.1', r));
  const port = backend.address().port;
  const latencies = [];
  for (let i = 0; i < samples; i++) {
    const path = `/propagate-${i}`;
    const started = performance.now();
    const answer = await fetch(`${a.origin}/service`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        serviceType: `propagate-${i}`,
        host: '127.0.0.1',
        port,
        healthCheck: { type: 'none' },
        routes: [{ path: `${path}/*` }],
      }),
    });
    if (answer.status !== 201) throw new Error(`registration answered ${answer.status}`);
    for (;;) {
      const routed = await fetch(`${c.gateway}${path}/x`);
      await routed.arrayBuffer();
      if (routed.status === 200) break;
      if (performance.now() - started > 5_000) throw new Error('never routed');
    }
    latencies.push(performance.now() - started);
  }
  backend.close();
  latencies.sort((x, y) => x - y);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** CHECKED http-checked instances (a loopback server each, counting), over CHECK_SECONDS. */
async function checksPerInterval(a, intervalMs) {
  const hits = new Map();
  const servers = [];
  for (let i = 0; i < CHECKED; i++) {
    const server = createServer((req, res) => {
      hits.set(i, (hits.get(i) ?? 0) + 1);
      res.end('ok');
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const answer = await fetch(`${a.origin}/service`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        serviceType: 'checked',
        host: '127.0.0.1',
        port: server.address().port,
        healthCheck: { type: 'http', path: '/health' },
      }),
    });
    if (answer.status !== 201) throw new Error(`registration answered ${answer.status}`);
  }
  await new Promise((r) => setTimeout(r, 3 * intervalMs));
  hits.clear();
  await new Promise((r) => setTimeout(r, CHECK_SECONDS * 1000));
  for (const server of servers) server.close();
  const rates = Array.from(
    { length: CHECKED },
    (_, i) => (hits.get(i) ?? 0) / ((CHECK_SECONDS * 1000) / intervalMs),
  ).sort((x, y) => x - y);
  return {
    mean: rates.reduce((s, r) => s + r, 0) / rates.length,
    min: rates[0],
    max: rates.at(-1),
  };
}

async function fleet() {
  const dir = mkdtempSync(join(tmpdir(), 'waypost-fleet-bench-'));
  const etcd = await startEtcd(join(dir, 'etcd'));
  const intervalMs = 1_000;
  const nodes = [];
  try {
    for (const name of ['a', 'b', 'c']) {
      nodes.push(
        await startWaypostPinned(
          root,
          join(dir, name),
          {
            STORE: 'etcd',
            ETCD_ENDPOINTS: etcd.url,
            NODE_ID: name,
            HEALTH_CHECK_INTERVAL: `${intervalMs}ms`,
          },
          { core: 0 },
        ),
      );
    }
    const [a, , c] = nodes;
    const one = await registerThrough([a.origin], REGISTRATIONS, 0);
    const all = await registerThrough(
      nodes.map((n) => n.origin),
      REGISTRATIONS,
      1_000_000,
    );
    const reads = await runLoad({
      origin: c.origin,
      concurrency: 32,
      durationMs: 5_000,
      maxRequests: 1_000_000,
      expectStatus: 200,
      next: (i) => ({ method: 'GET', path: `/services/svc-${i % 100}`, headers: admin }),
    });
    const latency = await propagation(a, c, SAMPLES);
    const checks = await checksPerInterval(a, intervalMs);
    return { one, all, reads, latency, checks };
  } finally {
    for (const node of nodes) await stop(node.child);
    etcd.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One single-node sqlite round of a build: registrations and discovery reads. */
async function singleNode(main) {
  const dir = mkdtempSync(join(tmpdir(), 'waypost-single-bench-'));
  const waypost = await startWaypostPinned(root, dir, {}, { main });
  try {
    const registrations = await registerMany({
      origin: waypost.origin,
      key: BENCH_KEY,
      count: REGISTRATIONS * 2,
      bodyOf: (i) => body(i),
    });
    const reads = await runLoad({
      origin: waypost.origin,
      concurrency: 32,
      durationMs: 5_000,
      maxRequests: 1_000_000,
      expectStatus: 200,
      next: (i) => ({ method: 'GET', path: `/services/svc-${i % 100}`, headers: admin }),
    });
    return { registrations: registrations.perSecond, reads: reads.perSecond };
  } finally {
    await stop(waypost.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const lines = [];
  const f = await fleet();
  lines.push(
    `fleet: 3 Waypost nodes (core 0) on one etcd member (core 1), load on core 1`,
    `registrations through one node   ${f.one.perSecond.toFixed(0)} /s (${f.one.requests}, ${f.one.failures} failed)`,
    `registrations through all three  ${f.all.perSecond.toFixed(0)} /s (${f.all.requests}, ${f.all.failures} failed)`,
    `discovery reads on node C        ${fmt(f.reads)}`,
    `A registers -> C's gateway routes: p50 ${f.latency.p50.toFixed(1)} ms, p99 ${f.latency.p99.toFixed(1)} ms (${SAMPLES} changes; aim p99 < 100 ms)`,
    `health checks per instance per interval: mean ${f.checks.mean.toFixed(2)}, min ${f.checks.min.toFixed(2)}, max ${f.checks.max.toFixed(2)} (${CHECKED} instances, ${CHECK_SECONDS} s; aim 1.0)`,
  );
  if (BEFORE) {
    const ratios = { registrations: [], reads: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const before = await singleNode(BEFORE);
      const after = await singleNode(undefined);
      ratios.registrations.push(after.registrations / before.registrations);
      ratios.reads.push(after.reads / before.reads);
      lines.push(
        `single node sqlite, round ${round + 1}: registrations ${before.registrations.toFixed(0)} -> ${after.registrations.toFixed(0)} /s, reads ${before.reads.toFixed(0)} -> ${after.reads.toFixed(0)} /s`,
      );
    }
    const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
    lines.push(
      `single node sqlite, this build / before (median of ${ROUNDS} same-round ratios; aim >= 0.9): registrations ${median(ratios.registrations).toFixed(2)} (${range(ratios.registrations)}), reads ${median(ratios.reads).toFixed(2)} (${range(ratios.reads)})`,
    );
  } else {
    lines.push(
      '(set BENCH_BEFORE=DIR holding an older build`s dist/ for the single-node before/after)',
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
