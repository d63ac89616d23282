// npm run bench:instructions — CPU instructions per proxied request, counted by valgrind's
// callgrind, for this build against BENCH_BEFORE's (a folder holding another build's dist/main.js).
// Throughput on these shared machines swings by ±25% from round to round, which hides a change of a
// few per cent; an instruction count does not depend on what the other tenants do. Each build runs
// twice per scenario, once for BENCH_SHORT requests and once for BENCH_LONG (defaults 2,000 and
// 12,000): the difference divided by the extra requests is the steady-state cost of one request,
// with start-up, warm-up and JIT compilation of the first requests cancelled out. Waypost is pinned
// to core 0 under valgrind; nginx (backend) and the client (16 keep-alive connections) on core 1.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { NGINX, startNginx } from './lib/nginx.mjs';
import { freePort, waitForPort } from './lib/wrk.mjs';

const root = new URL('..', import.meta.url).pathname;
const BEFORE = process.env.BENCH_BEFORE;
const SHORT = Number(process.env.BENCH_SHORT ?? 2_000);
const LONG = Number(process.env.BENCH_LONG ?? 12_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'small,post').split(',');
const CONCURRENCY = 16;
const POST_BODY = Buffer.alloc(1024, 'a');

if (!NGINX || spawnSync('which', ['valgrind']).status !== 0) {
  process.stderr.write('bench needs nginx and valgrind: apt-get install -y nginx-light valgrind\n');
  process.exit(2);
}

/** Exactly `count` requests of `scenario` through `origin`, CONCURRENCY at a time. */
async function load(origin, scenario, count) {
  const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 });
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const answer = await pool.request(
        scenario === 'post'
          ? {
              path: '/post',
              method: 'POST',
              body: POST_BODY,
              headers: { 'content-type': 'application/octet-stream' },
            }
          : { path: '/small', method: 'GET' },
      );
      await answer.body.dump();
      if (answer.statusCode !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await pool.close();
  if (failed > 0) throw new Error(`${failed} of ${count} requests failed`);
}

/** One run of a build under callgrind: its instruction count for start, `count` requests, stop. */
async function countInstructions(main, env, scenario, count) {
  const port = await freePort();
  const child = spawn(
    'taskset',
    [
      '-c',
      '0',
      'valgrind',
      '--tool=callgrind',
      '--smc-check=all-non-file',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      main,
    ],
    {
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...env, GATEWAY_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await waitForPort(port, 120_000);
  await load(`http://127.0.0.1:${port}`, scenario, count);
  child.kill('SIGTERM');
  await exited;
  const collected = /Collected : (\d+)/.exec(stderr);
  if (!collected) throw new Error(`callgrind printed no count:\n${stderr.slice(-2000)}`);
  return Number(collected[1]);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'waypost-instructions-bench-'));
  const backendPort = await freePort();
  const backend = startNginx(join(dir, 'backend'), 'backend', { backendPort, proxyPort: 0 }, 1);
  const configFile = join(dir, 'waypost.yaml');
  writeFileSync(configFile, `routes:\n  - path: /\n    backend: http://127.0.0.1:${backendPort}\n`);
  const builds = {
    waypost: join(root, 'dist', 'main.js'),
    ...(BEFORE ? { before: join(BEFORE, 'dist', 'main.js') } : {}),
  };
  const env = (name) => ({
    CONFIG_FILE: configFile,
    STORE: 'memory',
    DATA_DIR: join(dir, `data-${name}`),
    HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  try {
    await waitForPort(backendPort);
    const lines = [
      `instructions per request (callgrind; (count at ${LONG} − count at ${SHORT}) / ${LONG - SHORT}, median of ${REPEATS}); Waypost on core 0, nginx + client on core 1`,
    ];
    for (const scenario of SCENARIOS) {
      const perRequest = {};
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        for (const [name, main] of Object.entries(builds)) {
          const short = await countInstructions(main, env(name), scenario, SHORT);
          const long = await countInstructions(main, env(name), scenario, LONG);
          (perRequest[name] ??= []).push((long - short) / (LONG - SHORT));
        }
      }
      lines.push(`\n${scenario === 'small' ? 'small GET' : '1 KiB POST'}`);
      for (const [name, values] of Object.entries(perRequest))
        lines.push(
          `  ${name.padEnd(8)} ${Math.round(median(values)).toLocaleString('en')} instructions/request  (runs: ${values.map((v) => Math.round(v).toLocaleString('en')).join(', ')})`,
        );
      if (BEFORE)
        lines.push(
          `  waypost / before: ${(median(perRequest.waypost) / median(perRequest.before)).toFixed(3)}x`,
        );
    }
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    backend.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
