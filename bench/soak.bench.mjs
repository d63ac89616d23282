// npm run bench:soak — the gateway at half its measured maximum for SOAK_SECONDS (default 600), with
// registrations (10 a second, each deleted a second later) and health checks (100 instances checked
// every second) running: 0 5xx, RSS flat (slope < 1 MiB/min over the last 80%, judged from 5 minutes
// up), no descriptor leaked, p99 of the last minute ≤ 1.5× the first. Exits 1 when one is missed.
// Waypost (sqlite) is pinned to core 0; nginx (backend) and this open-loop load generator to core 1.
// CI runs it for 60 s (SOAK_SECONDS=60): windows of a quarter of the run, and only 5xx, failures
// and descriptors judged there (RSS slope and p99 drift are reported, judged from 5 minutes up).
import { chmodSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { Pool } from 'undici';
import { percentile } from './lib/load.mjs';
import { NGINX, startNginx } from './lib/nginx.mjs';
import { BENCH_ADMIN, BENCH_KEY, rssMb, startWaypostPinned, stop } from './lib/process.mjs';
import { freePort, hasWrk, waitForPort, wrk } from './lib/wrk.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const SAMPLE_MS = 5_000;
const CHECKED = 100;
const CONNECTIONS = 64;
// Waypost keeps an idle upstream connection 30 s (upstream-pools.ts); a little more, then it is a leak.
const IDLE_CLOSE_MS = 40_000;
const LEAK_SLACK = 4;
const root = new URL('..', import.meta.url).pathname;

if (!NGINX || !hasWrk()) {
  process.stderr.write('bench:soak needs nginx and wrk: apt-get install -y nginx-light wrk\n');
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Least-squares slope of (t seconds, y) points, per minute. */
function slopePerMinute(points) {
  const n = points.length;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const cov = points.reduce((a, p) => a + (p.t - mt) * (p.y - my), 0);
  const varT = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return varT === 0 ? 0 : (cov / varT) * 60;
}

/** The process's open descriptors: sockets (connections come and go with the load) and the rest. */
function descriptors(pid) {
  let sockets = 0;
  let other = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
      else other++;
    } catch {
      // closed between the listing and the look
    }
  }
  return { sockets, other, total: sockets + other };
}

/** Waits until the idle connections of the load have closed: the count once settled, or at the deadline. */
async function settledDescriptors(pid, target) {
  const deadline = Date.now() + IDLE_CLOSE_MS;
  let now = descriptors(pid);
  while (now.total > target && Date.now() < deadline) {
    await sleep(1_000);
    now = descriptors(pid);
  }
  return now;
}

/** Open loop: requests start on a fixed schedule, latency counted from when each was due. */
async function steadyLoad(gateway, rate, seconds, onAnswer) {
  const pool = new Pool(gateway, { connections: CONNECTIONS, pipelining: 1 });
  const started = performance.now();
  const total = Math.floor(rate * seconds);
  let issued = 0;
  let inFlight = 0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
      while (issued < due && inFlight < CONNECTIONS * 4) {
        const dueAt = started + (issued * 1000) / rate;
        issued++;
        inFlight++;
        pool
          .request({ method: 'GET', path: '/small' })
          .then(async (res) => {
            await res.body.dump();
            onAnswer(res.statusCode, performance.now() - dueAt, (dueAt - started) / 1000);
          })
          .catch(() => onAnswer(0, performance.now() - dueAt, (dueAt - started) / 1000))
          .finally(() => {
            inFlight--;
            if (issued >= total && inFlight === 0) {
              clearInterval(tick);
              resolve();
            }
          });
      }
    }, 1);
  });
  await pool.close();
}

/** 10 registrations a second, each deleted a second later, until `until()` says stop. */
async function churn(admin, until) {
  const pool = new Pool(admin, { connections: 4 });
  const json = { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' };
  const pending = [];
  let failed = 0;
  for (let i = 0; !until(); i++) {
    const res = await pool.request({
      method: 'POST',
      path: '/service',
      headers: json,
      body: JSON.stringify({
        serviceType: 'soak-churn',
        host: '127.0.0.1',
        port: 10_000 + (i % 50_000),
        healthCheck: { type: 'none' },
      }),
    });
    const body = await res.body.json();
    if (res.statusCode !== 201) failed++;
    else pending.push(body.serviceId);
    if (pending.length > 10) {
      const gone = await pool.request({
        method: 'DELETE',
        path: `/service/${pending.shift()}`,
        headers: { authorization: `Bearer ${BENCH_ADMIN}` },
      });
      await gone.body.dump();
      if (gone.statusCode !== 200) failed++;
    }
    await sleep(100);
  }
  await pool.close();
  return failed;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'waypost-soak-'));
  chmodSync(dir, 0o755);
  const ports = { backendPort: await freePort(), proxyPort: await freePort() };
  const backend = startNginx(join(dir, 'backend'), 'backend', ports, 1);
  const configFile = join(dir, 'waypost.yaml');
  writeFileSync(
    configFile,
    `routes:\n  - path: /\n    backend: http://127.0.0.1:${ports.backendPort}\n`,
  );
  let waypost;
  try {
    await waitForPort(ports.backendPort);
    waypost = await startWaypostPinned(root, join(dir, 'data'), {
      CONFIG_FILE: configFile,
      HEALTH_CHECK_INTERVAL: '1s',
    });
    const pid = waypost.child.pid;
    const admin = new Pool(waypost.origin, { connections: 8 });
    for (let i = 0; i < CHECKED; i++) {
      const res = await admin.request({
        method: 'POST',
        path: '/service',
        headers: { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          serviceType: `soak-checked-${i % 10}`,
          host: '127.0.0.1',
          port: ports.backendPort,
          healthCheck: { type: 'http', path: '/small' },
          metadata: { n: String(i) },
        }),
      });
      await res.body.dump();
      if (res.statusCode !== 201) throw new Error(`registration answered ${res.statusCode}`);
    }
    await admin.close();
    await sleep(500); // the admin pool's sockets close on Waypost's side too
    const before = descriptors(pid);
    await wrk(waypost.gateway, 'small', dir, 3); // warm-up
    const max = (await wrk(waypost.gateway, 'small', dir, 5)).rps;
    const rate = Math.round(max / 2);

    const window = Math.min(60, SECONDS / 4);
    const first = [];
    const last = [];
    const statuses = new Map();
    const samples = [];
    const perWindow = [];
    // This generator's own lag: a late request may be late for want of a client, not of a gateway.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    let done = false;
    const sampler = setInterval(() => {
      samples.push({
        t: samples.length * (SAMPLE_MS / 1000),
        rss: rssMb(pid),
        fds: descriptors(pid),
      });
    }, SAMPLE_MS);
    const churning = churn(waypost.origin, () => done);
    await steadyLoad(waypost.gateway, rate, SECONDS, (status, ms, at) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (at < window) first.push(ms);
      else if (at >= SECONDS - window) last.push(ms);
      // Per window: answers by when they were due, and how late they came back (open loop).
      const slot = Math.floor(at / window);
      (perWindow[slot] ??= []).push(ms);
    });
    done = true;
    const churnFailures = await churning;
    clearInterval(sampler);
    const after = await settledDescriptors(pid, before.total + LEAK_SLACK);

    first.sort((a, b) => a - b);
    last.sort((a, b) => a - b);
    const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
    const fivexx = [...statuses].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0);
    const failedToConnect = statuses.get(0) ?? 0;
    const tail = samples.slice(Math.floor(samples.length * 0.2));
    const rssSlope = slopePerMinute(tail.map((s) => ({ t: s.t, y: s.rss })));
    // Connections open and close with the load's concurrency, so a ceiling that moves during the run
    // says nothing; a leaked descriptor is one still open once the load is gone and idle ones timed out.
    const half = Math.floor(tail.length / 2);
    const ceiling = (part) => Math.max(...part.map((s) => s.fds.total));
    const p99First = percentile(first, 99);
    const p99Last = percentile(last, 99);
    // A minute on a shared machine is all warm-up and neighbours: slopes and tails are judged on long runs.
    const judgeRss = SECONDS >= 300;
    const checks = [
      [
        `0 5xx (${fivexx}) and 0 failed requests (${failedToConnect})`,
        fivexx === 0 && failedToConnect === 0,
      ],
      [
        `registrations and deletes all answered as expected (${churnFailures} failed)`,
        churnFailures === 0,
      ],
      [
        `RSS slope over the last 80% < 1 MiB/min: ${rssSlope.toFixed(2)} MiB/min${judgeRss ? '' : ' (reported, judged from 5-minute runs up)'}`,
        !judgeRss || rssSlope < 1,
      ],
      [
        `no descriptor leaked: ${after.total} open (${after.sockets} sockets) once the load's idle connections closed, ${before.total} (${before.sockets}) before the load (≤ +${LEAK_SLACK})`,
        after.total <= before.total + LEAK_SLACK,
      ],
      [
        `p99 of the last ${window} s ≤ 1.5× the first: ${p99Last.toFixed(2)} ms vs ${p99First.toFixed(2)} ms (${(p99Last / p99First).toFixed(2)}x)${judgeRss ? '' : ' (reported, judged from 5-minute runs up)'}`,
        !judgeRss || p99Last <= 1.5 * p99First,
      ],
    ];
    lag.disable();
    const table = perWindow.map((times, i) => {
      times.sort((a, b) => a - b);
      return `  ${String(i * window).padStart(4)}–${String((i + 1) * window).padEnd(4)} s  ${String(times.length).padStart(7)} due  p50 ${percentile(times, 50).toFixed(1)} ms  p99 ${percentile(times, 99).toFixed(1)} ms`;
    });
    const lines = [
      `soak: ${SECONDS} s at ${rate} req/s (half of the ${max.toFixed(0)} req/s measured), ${answered} requests, ${CHECKED} instances checked every second, 10 registrations and deletes a second`,
      `RSS ${samples[0]?.rss.toFixed(0)} → ${samples.at(-1)?.rss.toFixed(0)} MiB; descriptors at most ${ceiling(tail.slice(0, half))} in the first half of the last 80%, ${ceiling(tail.slice(half))} in the second`,
      `the load generator's event loop delay: p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`,
      'latency from when each request was due, by window:',
      ...table,
      `RSS samples (MiB): ${samples.map((x) => x.rss.toFixed(0)).join(' ')}`,
      `descriptor samples, sockets + other: ${samples.map((x) => `${x.fds.sockets}+${x.fds.other}`).join(' ')}`,
      ...checks.map(([text, ok]) => `  ${ok ? 'ok  ' : 'MISS'} ${text}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
  } finally {
    if (waypost) await stop(waypost.child);
    backend.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
