// Starting and measuring the real Waypost process (dist/main.js), pinned to one core.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export async function startPinned({ core, script, args = [], env = {}, ready }) {
  let output = '';
  const child = spawn('taskset', ['-c', String(core), process.execPath, script, ...args], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
export function spawnPinned(core, script, args = [], env = {}, cwd = undefined) {
  return spawn('taskset', ['-c', String(core), process.execPath, script, ...args], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
    stdio: 'ignore',
    cwd,
  });
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
