// npm run bench:instructions — CPU instructions per proxied request, counted by valgrind's
// callgrind, for this build against BENCH_BEFORE's (a folder holding another build's dist/main.js).
// Throughput on these shared machines swings by ±25% from round to round, which hides a change of a
// few per cent; an instruction count does not depend on what the other tenants do. Each build runs
// twice per scenario, once for BENCH_SHORT requests and once for BENCH_LONG (defaults 2,000 and
// 12,000): the difference divided by the extra requests is the steady-state cost of one request,
// with start-up, warm-up and JIT compilation of the first requests cancelled out. Reported twice:
// in all, and outside V8's garbage collector — whether a major collection falls inside the window
// depends on the heap's size and on V8's timers (which valgrind's slowness skews), so the total
// can move by 10% between builds whose requests do the same work; the count outside the GC is the
// request path's own. Waypost is pinned to core 0 under valgrind; nginx (backend) and the client
// (one keep-alive connection) on core 1.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { NGINX, startNginx } from './lib/nginx.mjs';
import { SHIPPED_NODE_ARGS } from './lib/process.mjs';
import { freePort, waitForPort } from './lib/wrk.mjs';

const root = new URL('..', import.meta.url).pathname;
const BEFORE = process.env.BENCH_BEFORE;
const SHORT = Number(process.env.BENCH_SHORT ?? 2_000);
const LONG = Number(process.env.BENCH_LONG ?? 12_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'small,post').split(',');
// One request at a time: with several in flight, how many share a turn of the event loop depends
// on timing, and so does what a request costs.
const CONCURRENCY = Number(process.env.BENCH_CONNECTIONS ?? 1);
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

/** V8's garbage collector, by the symbols callgrind_annotate names its C++ functions with. */
const GC_SYMBOL =
  /Marking|Sweep|Scaveng|Heap::|MemoryChunk|SizeFromMap|IteratePointers|Evacuat|MarkCompact|GCTracer|FreeList|Remembered|SlotSet|Worklist/;

/** Instructions in all, and in the garbage collector, from a callgrind output file. */
function readProfile(file) {
  const out = spawnSync('callgrind_annotate', ['--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }).stdout;
  let total = 0;
  let gc = 0;
  for (const line of out.split('\n')) {
    const m = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!m) continue;
    const value = Number(m[1].replaceAll(',', ''));
    if (m[2].includes('PROGRAM TOTALS')) total = value;
    else if (GC_SYMBOL.test(m[2])) gc += value;
  }
  return { total, gc };
}

/**
 * One run of a build under callgrind: start, one admin call (in production the admin port is busy
 * from the first second, and what that turns on, such as the async context of its requests, must
 * be paid for here too), `count` requests, stop. Answers its instruction counts.
 */
async function countInstructions(main, env, scenario, count, dir) {
  const port = await freePort();
  const adminPort = await freePort();
  const profile = join(dir, `callgrind.${port}`);
  const child = spawn(
    'taskset',
    [
      '-c',
      '0',
      'valgrind',
      '--tool=callgrind',
      '--smc-check=all-non-file',
      `--callgrind-out-file=${profile}`,
      process.execPath,
      ...SHIPPED_NODE_ARGS,
      main,
    ],
    {
      env: {
        PATH: process.env.PATH,
        NO_COLOR: '1',
        ...env,
        GATEWAY_PORT: String(port),
        ADMIN_PORT: String(adminPort),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await waitForPort(port, 120_000);
  await waitForPort(adminPort, 120_000);
  const live = await fetch(`http://127.0.0.1:${adminPort}/health/live`);
  if (live.status !== 200) throw new Error(`/health/live answered ${live.status}`);
  await load(`http://127.0.0.1:${port}`, scenario, count);
  child.kill('SIGTERM');
  await exited;
  if (!/Collected : (\d+)/.test(stderr))
    throw new Error(`callgrind printed no count:\n${stderr.slice(-2000)}`);
  const counts = readProfile(profile);
  rmSync(profile, { force: true });
  return counts;
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
    LOG_LEVEL: 'warn',
  });
  try {
    await waitForPort(backendPort);
    const lines = [
      `instructions per request (callgrind; (count at ${LONG} − count at ${SHORT}) / ${LONG - SHORT}, median of ${REPEATS}); Waypost on core 0, nginx + client on core 1`,
    ];
    for (const scenario of SCENARIOS) {
      const perRequest = {};
      const outsideGc = {};
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        for (const [name, main] of Object.entries(builds)) {
          const short = await countInstructions(main, env(name), scenario, SHORT, dir);
          const long = await countInstructions(main, env(name), scenario, LONG, dir);
          const per = (key) => (long[key] - short[key]) / (LONG - SHORT);
          (perRequest[name] ??= []).push(per('total'));
          (outsideGc[name] ??= []).push(per('total') - per('gc'));
        }
      }
      lines.push(`\n${scenario === 'small' ? 'small GET' : '1 KiB POST'}`);
      const fmt = (v) => Math.round(v).toLocaleString('en');
      for (const name of Object.keys(perRequest))
        lines.push(
          `  ${name.padEnd(8)} outside the GC ${fmt(median(outsideGc[name]))} instructions/request  (runs: ${outsideGc[name].map(fmt).join(', ')})`,
        );
      for (const [name, values] of Object.entries(perRequest))
        lines.push(
          `  ${name.padEnd(8)} ${Math.round(median(values)).toLocaleString('en')} instructions/request  (runs: ${values.map((v) => Math.round(v).toLocaleString('en')).join(', ')})`,
        );
      if (BEFORE)
        lines.push(
          `  outside the GC, waypost / before: ${(median(outsideGc.waypost) / median(outsideGc.before)).toFixed(3)}x`,
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
