// npm run bench:watch — push discovery at scale. Waypost runs on core 0 (memory store), this
// process on core 1 opens BENCH_WATCHERS (default 10,000) watch streams spread over BENCH_SERVICES
// (default 1,000) services, and measures, each against a figure of the same run:
//   - RSS growth per open watcher;
//   - the delivery latency of one change to all of its service's watchers (p50, p99);
//   - registrations per second with the watchers open, against the same registrations before;
//   - bytes written to watchers of services that did not change (the aim: none), and Waypost's CPU
//     for 500 changes of one service with every other watcher open, against the same before.
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile, registerMany } from './lib/load.mjs';
import {
  BENCH_ADMIN,
  BENCH_KEY,
  cpuSeconds,
  rssMb,
  startWaypostPinned,
  stop,
} from './lib/process.mjs';

const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 10_000);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 1_000);
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 2_000);
const CHANGES = 500;
const KEY = BENCH_KEY;
const ADMIN = BENCH_ADMIN;
const root = new URL('..', import.meta.url).pathname;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** One watch stream: counts bytes and `update` events, and tells when the next update arrives. */
function openWatcher(port, service, agent) {
  return new Promise((resolve, reject) => {
    const watcher = { service, bytes: 0, updates: 0, waiters: [] };
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/services/${service}/watch`,
        agent,
        headers: { authorization: `Bearer ${ADMIN}` },
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`watch answered ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          watcher.bytes += chunk.length;
          const updates = chunk.split('event: update').length - 1;
          if (updates === 0) return;
          watcher.updates += updates;
          for (const done of watcher.waiters.splice(0)) done();
        });
        watcher.close = () => req.destroy();
        resolve(watcher);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function admin(port, method, path, body) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${method === 'POST' ? KEY : ADMIN}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'waypost-watch-bench-'));
  const waypost = await startWaypostPinned(root, dataDir, {
    STORE: 'memory',
    MAX_WATCHERS: String(WATCHERS + 100),
  });
  const port = Number(waypost.match[1]);
  const origin = waypost.origin;
  const pid = waypost.child.pid;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const watchers = [];
  try {
    const body = (i) => ({
      serviceType: `svc-${i % SERVICES}`,
      host: '127.0.0.1',
      port: 10_000 + i,
      healthCheck: { type: 'none' },
    });
    // One instance per service, and the one that changes in the CPU comparison.
    const seeded = await registerMany({ origin, key: KEY, count: SERVICES, bodyOf: body });
    const target = (await admin(port, 'GET', '/services/svc-0')).instances[0].id;

    const changeOne = async () => {
      const cpu = cpuSeconds(pid);
      for (let i = 0; i < CHANGES; i++)
        await admin(port, 'PATCH', `/service/${target}`, { weight: (i % 100) + 1 });
      return cpuSeconds(pid) - cpu;
    };
    const cpuBefore = await changeOne();
    const before = await registerMany({
      origin,
      key: KEY,
      count: REGISTRATIONS,
      bodyOf: (i) => body(SERVICES + i),
    });

    await pause(1000);
    const rssBefore = rssMb(pid);
    for (let i = 0; i < WATCHERS; i++) {
      watchers.push(await openWatcher(port, `svc-${i % SERVICES}`, agent));
    }
    await pause(2000);
    const rssAfter = rssMb(pid);

    // Delivery: a change of one service, until every watcher of it has the update.
    const latencies = [];
    for (let round = 0; round < 200; round++) {
      const service = `svc-${(round * 7) % SERVICES}`;
      const mine = watchers.filter((w) => w.service === service);
      const id = (await admin(port, 'GET', `/services/${service}`)).instances[0].id;
      const all = Promise.all(mine.map((w) => new Promise((done) => w.waiters.push(done))));
      const t0 = performance.now();
      await admin(port, 'PATCH', `/service/${id}`, { weight: (round % 100) + 1 });
      await all;
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);

    // Other services' watchers while one service changes CHANGES times.
    const others = watchers.filter((w) => w.service !== 'svc-0');
    const otherBytes = others.reduce((a, w) => a + w.bytes, 0);
    const cpuWith = await changeOne();
    await pause(200);
    const otherBytesAfter = others.reduce((a, w) => a + w.bytes, 0);

    const after = await registerMany({
      origin,
      key: KEY,
      count: REGISTRATIONS,
      bodyOf: (i) => body(SERVICES + REGISTRATIONS + i),
    });
    const lines = [
      `watch benchmark: ${WATCHERS} watchers over ${SERVICES} services (${seeded.failures} seeding failures), Waypost on core 0, load on core 1`,
      `RSS: ${rssBefore.toFixed(1)} MiB before the watchers, ${rssAfter.toFixed(1)} MiB with them: ${(((rssAfter - rssBefore) * 1024) / WATCHERS).toFixed(2)} KiB per watcher (aim <= 4)`,
      `delivery of one change to all of its service's ${WATCHERS / SERVICES} watchers: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms (aim p99 <= 20)`,
      `registrations: ${before.perSecond.toFixed(0)}/s before the watchers, ${after.perSecond.toFixed(0)}/s with them open: ${(after.perSecond / before.perSecond).toFixed(2)}x (aim >= 0.9; each goes to ${WATCHERS / SERVICES} watchers)`,
      `bytes written to the ${others.length} watchers of other services while svc-0 changed ${CHANGES} times: ${otherBytesAfter - otherBytes} (aim 0)`,
      `Waypost CPU for those ${CHANGES} changes: ${cpuBefore.toFixed(2)} s with no watcher open, ${cpuWith.toFixed(2)} s with all open (${(cpuWith / cpuBefore).toFixed(2)}x; svc-0's own ${WATCHERS / SERVICES} watchers get each change)`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    for (const w of watchers) w.close?.();
    await stop(waypost.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
