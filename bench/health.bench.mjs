// npm run bench:health — 10,000 instances, each with its own health path on one of a few local HTTP
// servers, checked every 10 s at HEALTH_CHECK_CONCURRENCY 64 by Waypost pinned to core 0 (this
// process, the backends and the load generator run on core 1). Measures: the sweep after a restart
// (every instance due at once), the spread of checks over one interval in steady state, the longest
// gap between two checks of one instance, Waypost's CPU and RSS, and the p99 of discovery reads
// during the checks against the same reads with checks off (type none), in the same run.
// BENCH_MAIN runs another build's main.js.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, registerMany, runLoad } from './lib/load.mjs';
import {
  BENCH_ADMIN,
  BENCH_KEY,
  cpuSeconds,
  rssMb,
  startWaypostPinned,
  stop,
} from './lib/process.mjs';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 10_000);
const SERVERS = 4;
const INTERVAL_MS = 10_000;
const KEY = BENCH_KEY;
const ADMIN = BENCH_ADMIN;
const root = new URL('..', import.meta.url).pathname;

const lastHit = new Float64Array(INSTANCES);
const maxGap = new Float64Array(INSTANCES);
let recording = false;
const perSecond = new Map();

async function startBackends() {
  const servers = [];
  for (let s = 0; s < SERVERS; s++) {
    const server = createServer((req, res) => {
      const i = Number(req.url.split('/')[2]); // /i/<n>/health
      const now = performance.now();
      if (recording) {
        if (lastHit[i] > 0) maxGap[i] = Math.max(maxGap[i], now - lastHit[i]);
        const second = Math.floor(Date.now() / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      }
      lastHit[i] = now;
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
  }
  return servers;
}

const startWaypost = (dataDir) =>
  startWaypostPinned(
    root,
    dataDir,
    { HEALTH_CHECK_INTERVAL: `${INTERVAL_MS}ms`, HEALTH_CHECK_CONCURRENCY: '64' },
    { main: process.env.BENCH_MAIN || undefined },
  );

// Each instance its own base URL (a path on a shared server): one identity, one health path.
const registerAll = (origin, ports, type) =>
  registerMany({
    origin,
    key: KEY,
    count: INSTANCES,
    bodyOf: (i) => ({
      serviceType: `svc-${i % 1000}`,
      url: `http://127.0.0.1:${ports[i % SERVERS]}/i/${i}`,
      healthCheck: { type, path: '/health' },
      metadata: { i: String(i) },
    }),
  });

// A steady 2,000 reads/s: latency under a load the core can carry, not at saturation.
const reads = (origin) =>
  runLoad({
    origin,
    concurrency: 8,
    durationMs: 8_000,
    maxRequests: 10_000_000,
    expectStatus: 200,
    ratePerSec: 2_000,
    next: (i) => ({
      method: 'GET',
      path: `/services/svc-${i % 1000}?status=UP`,
      headers: { authorization: `Bearer ${ADMIN}` },
    }),
  });

async function main() {
  const servers = await startBackends();
  const ports = servers.map((s) => s.address().port);
  const lines = [
    `health benchmark: ${INSTANCES} instances on ${SERVERS} local servers, interval ${INTERVAL_MS} ms, concurrency 64, Waypost pinned to core 0`,
  ];

  // Baseline: the same registry with checks off.
  const quietDir = mkdtempSync(join(tmpdir(), 'waypost-bench-'));
  const quiet = await startWaypost(quietDir);
  const quietOrigin = quiet.origin;
  const quietRegistered = await registerAll(quietOrigin, ports, 'none');
  if (quietRegistered.failures > 0)
    throw new Error(`${quietRegistered.failures} registrations failed`);
  const quietReads = await reads(quietOrigin);
  const quietCpu0 = cpuSeconds(quiet.child.pid);
  await new Promise((r) => setTimeout(r, 5_000));
  const quietCpu = (cpuSeconds(quiet.child.pid) - quietCpu0) / 5;
  await stop(quiet.child);
  rmSync(quietDir, { recursive: true, force: true });

  // Checked: register, then restart so that every instance is due at once.
  const dataDir = mkdtempSync(join(tmpdir(), 'waypost-bench-'));
  let waypost = await startWaypost(dataDir);
  await registerAll(waypost.origin, ports, 'http');
  await stop(waypost.child);
  lastHit.fill(0);
  const restartAt = performance.now();
  waypost = await startWaypost(dataDir);
  const origin = waypost.origin;
  const pid = waypost.child.pid;
  const sweepDeadline = restartAt + 120_000;
  while (lastHit.some((t) => t < restartAt)) {
    if (performance.now() > sweepDeadline)
      throw new Error(`${lastHit.filter((t) => t < restartAt).length} instances never checked`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const sweepMs = Math.max(...lastHit) - restartAt;
  lines.push(
    `sweep after restart (all ${INSTANCES} due at once): every instance checked ${sweepMs.toFixed(0)} ms after start`,
  );

  // Steady state: let the herd of the restart settle into phases, then record one interval and more.
  await new Promise((r) => setTimeout(r, INTERVAL_MS));
  maxGap.fill(0);
  recording = true;
  const windowStart = Date.now();
  const checkedReads = await reads(origin);
  // CPU of the checks alone: a quiet stretch after the reads.
  const cpu0 = cpuSeconds(pid);
  const cpuStart = Date.now();
  await new Promise((r) =>
    setTimeout(r, Math.max(INTERVAL_MS, 2 * INTERVAL_MS - (Date.now() - windowStart))),
  );
  const cpu = (cpuSeconds(pid) - cpu0) / ((Date.now() - cpuStart) / 1000);
  recording = false;
  const windowSec = (Date.now() - windowStart) / 1000;
  const rss = rssMb(pid);
  await stop(waypost.child);
  rmSync(dataDir, { recursive: true, force: true });
  for (const server of servers) server.close();

  const counts = [...perSecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .slice(1, -1)
    .map(([, c]) => c);
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  const gaps = [...maxGap].filter((g) => g > 0);
  lines.push(
    `steady state, ${windowSec.toFixed(1)} s: ${(counts.reduce((a, b) => a + b, 0) / windowSec).toFixed(0)} checks/s; per-second counts min ${Math.min(...counts)} / mean ${mean.toFixed(0)} / max ${Math.max(...counts)} (ideal ${INSTANCES / (INTERVAL_MS / 1000)})`,
  );
  lines.push(
    `longest gap between two checks of one instance: ${Math.max(...gaps).toFixed(0)} ms (interval ${INTERVAL_MS} ms); instances checked twice or more in the window: ${gaps.length}`,
  );
  lines.push(
    `Waypost CPU without reads: ${(cpu * 100).toFixed(1)}% of one core while checking, ${(quietCpu * 100).toFixed(1)}% with checks off; RSS ${rss.toFixed(0)} MB`,
  );
  lines.push(`discovery reads, checks off: ${fmt(quietReads)}`);
  lines.push(`discovery reads, checking:   ${fmt(checkedReads)}`);
  lines.push(`p99 ratio checking/off: ${(checkedReads.p99 / quietReads.p99).toFixed(2)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
