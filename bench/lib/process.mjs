// Starting and measuring the real Waypost process (dist/main.js), pinned to one core.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NODE_FLAGS } from '../../dist/runtime/node-flags.js';

/**
 * The Node flags `npm start` gives Waypost (src/runtime/node-flags.ts), for the command line before
 * its script: Node refuses V8's --no-memory-reducer in NODE_OPTIONS. A flag given after them
 * (BENCH_NODE_ARGS) wins.
 */
export const SHIPPED_NODE_ARGS = NODE_FLAGS;

export async function startPinned({ core, script, args = [], env = {}, ready, nodeArgs = [] }) {
  let output = '';
  const child = spawn(
    'taskset',
    ['-c', String(core), process.execPath, ...nodeArgs, script, ...args],
    {
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const match = ready(output);
    if (match) return { child, match, output: () => output };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`process did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Starts a Node script pinned to `core` with a bare environment, output ignored. */
export function spawnPinned(core, script, args = [], env = {}, cwd = undefined, nodeArgs = []) {
  return spawn('taskset', ['-c', String(core), process.execPath, ...nodeArgs, script, ...args], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
    stdio: 'ignore',
    cwd,
  });
}

/** A Waypost build's `main` pinned to `core`, run as `npm start` runs it (`nodeArgs` in place). */
export function spawnWaypostPinned(core, main, env, nodeArgs = SHIPPED_NODE_ARGS) {
  return spawnPinned(core, main, [], env, undefined, nodeArgs);
}

/** The shared yardstick: bare node:http + one undici Pool.stream(), run from the project root. */
export const CEILING_SCRIPT = new URL(
  '../../../shared/bench/node-undici-ceiling.js',
  import.meta.url,
).pathname;

export function startCeiling(core, port, backend, root) {
  return spawnPinned(
    core,
    CEILING_SCRIPT,
    [],
    { PORT: String(port), BENCH_BACKEND: backend },
    root,
  );
}

export const BENCH_KEY = 'bench-registration-key-0123456789';
export const BENCH_ADMIN = 'bench-admin-key-0123456789abcdef';

/**
 * The built Waypost (dist/main.js, or `main` of another build) pinned to `core` (0) with the
 * benchmarks' keys, no registration rate limit and ephemeral ports; `env` adds or overrides
 * settings; `nodeArgs` go to node itself after the shipped flags (--cpu-prof). Answers the child,
 * its admin origin and its gateway origin.
 */
export async function startWaypostPinned(
  root,
  dataDir,
  env = {},
  { main, core = 0, nodeArgs = [] } = {},
) {
  const started = await startPinned({
    core,
    nodeArgs: [...SHIPPED_NODE_ARGS, ...nodeArgs],
    script: main ?? new URL('../../dist/main.js', import.meta.url).pathname,
    env: {
      DATA_DIR: dataDir,
      STORE: 'sqlite',
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      GATEWAY_PORT: '0',
      LOG_LEVEL: 'info',
      REGISTRATION_KEY: BENCH_KEY,
      ADMIN_KEY: BENCH_ADMIN,
      REGISTRATION_RATE_LIMIT: '1000000',
      CONFIG_FILE: `${root}/config/waypost.yaml`,
      ...env,
    },
    ready: (o) =>
      /admin listening on 127\.0\.0\.1:(\d+)/.test(o) &&
      /gateway listening on 127\.0\.0\.1:(\d+)/.test(o)
        ? /admin listening on 127\.0\.0\.1:(\d+)/.exec(o)
        : null,
  });
  const gateway = /gateway listening on 127\.0\.0\.1:(\d+)/.exec(started.output())[1];
  return {
    ...started,
    origin: `http://127.0.0.1:${started.match[1]}`,
    gateway: `http://127.0.0.1:${gateway}`,
  };
}
