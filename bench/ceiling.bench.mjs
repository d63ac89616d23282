// npm run bench:ceiling — Waypost against the shared yardstick (../shared/bench/node-undici-ceiling.js)
// and the fastest Node peer (fast-gateway), the way ../shared/bench/README.md says to compare on
// these machines: proxies pinned to core 0, nginx backend and wrk on core 1, 10 s of warm-up per
// proxy, then BENCH_ROUNDS (default 8) rounds of BENCH_SECONDS (default 5) in which the proxies take
// turns (the order rotates each round). Reports, per scenario, the median of the same-round ratios
// with their range, the p99 ratio, and each proxy's RSS sampled under load. BENCH_BEFORE=DIR adds
// another build of Waypost (DIR holds its dist/main.js) to the same rounds, for a before/after;
// BENCH_NODE_ARGS (space-separated) gives the measured Waypost Node flags in place of the ones
// `npm start` uses (BENCH_BEFORE=. then compares the same build with them against the shipped flags).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGINX, startNginx } from './lib/nginx.mjs';
import {
  rssMb,
  SHIPPED_NODE_ARGS,
  spawnPinned,
  spawnWaypostPinned,
  startCeiling,
} from './lib/process.mjs';
import { freePort, hasWrk, median, SCENARIO_NAMES, waitForPort, wrk } from './lib/wrk.mjs';

const root = new URL('..', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'small,post').split(',');
const BEFORE = process.env.BENCH_BEFORE;

if (!NGINX || !hasWrk()) {
  process.stderr.write('bench needs nginx and wrk: apt-get install -y nginx-light wrk\n');
  process.exit(2);
}

/** Runs wrk while sampling the proxy's RSS every 250 ms; answers wrk's figures and the peak RSS. */
async function measure(url, scenario, dir, seconds, pid) {
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
  const result = await wrk(url, scenario, dir, seconds);
  clearInterval(sampler);
  return { ...result, rss: Math.max(peak, rssMb(pid)) };
}

const range = (values) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'waypost-ceiling-bench-'));
  chmodSync(dir, 0o755);
  const ports = { backendPort: await freePort(), proxyPort: await freePort() };
  const backend = startNginx(join(dir, 'backend'), 'backend', ports, 1);
  const upstream = `http://127.0.0.1:${ports.backendPort}`;
  const configFile = join(dir, 'waypost.yaml');
  writeFileSync(configFile, `routes:\n  - path: /\n    backend: ${upstream}\n`);
  const proxyPorts = {
    waypost: await freePort(),
    ceiling: await freePort(),
    'fast-gateway': await freePort(),
    ...(BEFORE ? { before: await freePort() } : {}),
  };
  const measuredArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean);
  const startWaypost = (name, distDir) =>
    spawnWaypostPinned(
      0,
      join(distDir, 'main.js'),
      {
        CONFIG_FILE: configFile,
        STORE: 'memory',
        DATA_DIR: join(dir, `data-${name}`),
        HOST: '127.0.0.1',
        GATEWAY_PORT: String(proxyPorts[name]),
        ADMIN_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      (name === 'waypost' && measuredArgs) || SHIPPED_NODE_ARGS,
    );
  const proxies = {
    waypost: startWaypost('waypost', join(root, 'dist')),
    ceiling: startCeiling(0, proxyPorts.ceiling, upstream, root),
    'fast-gateway': spawnPinned(0, join(root, 'bench/peers/fast-gateway.mjs'), [
      String(proxyPorts['fast-gateway']),
      upstream,
    ]),
    ...(BEFORE ? { before: startWaypost('before', join(BEFORE, 'dist')) } : {}),
  };
  const names = Object.keys(proxies);
  try {
    for (const port of [ports.backendPort, ...Object.values(proxyPorts)]) await waitForPort(port);
    const url = (name) => `http://127.0.0.1:${proxyPorts[name]}`;
    const idle = Object.fromEntries(names.map((n) => [n, rssMb(proxies[n].pid)]));
    for (const name of names)
      for (const s of SCENARIOS) await wrk(url(name), s, dir, 10 / SCENARIOS.length);
    const runs = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of SCENARIOS) {
        const order = names.map((_, i) => names[(i + round) % names.length]);
        for (const name of order) {
          ((runs[scenario] ??= {})[name] ??= []).push(
            await measure(url(name), scenario, dir, SECONDS, proxies[name].pid),
          );
        }
      }
    }
    const lines = [
      `ceiling benchmark: wrk -c64, ${ROUNDS} alternating rounds of ${SECONDS} s after 10 s warm-up each; proxies on core 0, nginx backend + wrk on core 1`,
      `idle RSS: ${names.map((n) => `${n} ${idle[n].toFixed(0)} MiB`).join(', ')}`,
    ];
    for (const scenario of SCENARIOS) {
      const r = runs[scenario];
      const ratio = (a, b, key) => r[a].map((run, i) => run[key] / r[b][i][key]);
      const vsCeiling = ratio('waypost', 'ceiling', 'rps');
      const vsPeer = ratio('waypost', 'fast-gateway', 'rps');
      const p99 = ratio('waypost', 'ceiling', 'p99');
      lines.push(`\n${SCENARIO_NAMES[scenario]}`);
      for (const name of names) {
        const non2xx = r[name].reduce((a, x) => a + x.non2xx, 0);
        lines.push(
          `  ${name.padEnd(13)} ${median(r[name].map((x) => x.rps))
            .toFixed(0)
            .padStart(
              7,
            )} req/s  p99 ${median(r[name].map((x) => x.p99)).toFixed(2)} ms  RSS under load ≤ ${Math.max(...r[name].map((x) => x.rss)).toFixed(0)} MiB${non2xx ? `  (${non2xx} non-2xx!)` : ''}`,
        );
      }
      if (BEFORE) {
        const vsBefore = ratio('waypost', 'before', 'rps');
        const beforeVsCeiling = ratio('before', 'ceiling', 'rps');
        lines.push(
          `  before / ceiling: ${median(beforeVsCeiling).toFixed(2)}x (${range(beforeVsCeiling)}); waypost / before: ${median(vsBefore).toFixed(2)}x (${range(vsBefore)})`,
        );
      }
      lines.push(
        `  waypost / ceiling: ${median(vsCeiling).toFixed(2)}x (rounds ${range(vsCeiling)}); p99 waypost / ceiling: ${median(p99).toFixed(2)}x (${range(p99)}); waypost / fast-gateway: ${median(vsPeer).toFixed(2)}x (${range(vsPeer)})`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    backend.kill('SIGTERM');
    for (const child of Object.values(proxies)) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
