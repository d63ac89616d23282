// npm run bench:profile — where a proxied request's time goes. Waypost runs on core 0 with
// --cpu-prof under wrk (small GET, or BENCH_SCENARIO=post|16k) for 10 s of warm-up and
// BENCH_SECONDS (default 10) measured, nginx backend and wrk on core 1. Prints the functions with
// the most self time, the self time by where the code lives (Waypost, undici, Node, Nest, …) and
// the event loop's delay while under load. Profiles the built dist/, or with BENCH_TARGET=ceiling
// the shared node:http + undici yardstick, for a side-by-side reading.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGINX, startNginx } from './lib/nginx.mjs';
import { CEILING_SCRIPT, SHIPPED_NODE_ARGS } from './lib/process.mjs';
import { summarize } from './lib/cpu-profile.mjs';
import { freePort, hasWrk, waitForPort, wrk } from './lib/wrk.mjs';

const root = new URL('..', import.meta.url).pathname;
const SCENARIO = process.env.BENCH_SCENARIO ?? 'small';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TARGET = process.env.BENCH_TARGET ?? 'waypost';

if (!NGINX || !hasWrk()) {
  process.stderr.write('bench needs nginx and wrk: apt-get install -y nginx-light wrk\n');
  process.exit(2);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'waypost-profile-'));
  chmodSync(dir, 0o755);
  const ports = { backendPort: await freePort(), proxyPort: await freePort() };
  const backend = startNginx(join(dir, 'backend'), 'backend', ports, 1);
  const upstream = `http://127.0.0.1:${ports.backendPort}`;
  writeFileSync(join(dir, 'waypost.yaml'), `routes:\n  - path: /\n    backend: ${upstream}\n`);
  const port = await freePort();
  const profiles = join(dir, 'profiles');
  const delayFile = join(dir, 'loop-delay.json');
  const waypost = spawn(
    'taskset',
    [
      '-c',
      '0',
      process.execPath,
      ...(TARGET === 'ceiling' ? [] : SHIPPED_NODE_ARGS),
      '--cpu-prof',
      `--cpu-prof-dir=${profiles}`,
      '-r',
      join(root, 'bench/lib/loop-delay.cjs'),
      TARGET === 'ceiling' ? CEILING_SCRIPT : join(root, 'dist/main.js'),
    ],
    {
      env: {
        PATH: process.env.PATH,
        NO_COLOR: '1',
        CONFIG_FILE: join(dir, 'waypost.yaml'),
        STORE: 'memory',
        DATA_DIR: join(dir, 'data'),
        HOST: '127.0.0.1',
        GATEWAY_PORT: String(port),
        ADMIN_PORT: '0',
        LOG_LEVEL: 'warn',
        LOOP_DELAY_FILE: delayFile,
        PORT: String(port),
        BENCH_BACKEND: upstream,
        ...(TARGET === 'ceiling' ? { EXIT_ON_SIGTERM: '1' } : {}),
      },
      cwd: root,
      stdio: 'ignore',
    },
  );
  try {
    await waitForPort(ports.backendPort);
    await waitForPort(port);
    await wrk(`http://127.0.0.1:${port}`, SCENARIO, dir, 10);
    waypost.kill('SIGUSR2'); // resets the delay histogram: only the measured run counts
    const run = await wrk(`http://127.0.0.1:${port}`, SCENARIO, dir, SECONDS);
    waypost.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    const delay = JSON.parse(readFileSync(delayFile, 'utf8'));
    const exited = new Promise((r) => waypost.on('exit', r));
    waypost.kill('SIGTERM');
    await exited;
    const file = readdirSync(profiles).find((f) => f.endsWith('.cpuprofile'));
    const { total, functions, places } = summarize(
      JSON.parse(readFileSync(join(profiles, file), 'utf8')),
    );
    process.stdout.write(
      [
        `profile of ${TARGET}, ${SCENARIO} under wrk -c64 (${run.rps.toFixed(0)} req/s in the measured ${SECONDS} s; profile covers start-up, warm-up and the run: ${(total / 1e6).toFixed(1)} s of CPU)`,
        `event loop delay under load: p50 ${delay.p50} ms, p99 ${delay.p99} ms, max ${delay.max} ms`,
        'self time by place:',
        ...places,
        'self time by function:',
        ...functions,
      ].join('\n') + '\n',
    );
  } finally {
    if (waypost.exitCode === null) waypost.kill('SIGKILL');
    backend.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
