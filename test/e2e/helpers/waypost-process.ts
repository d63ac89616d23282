import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_FLUSH_MS } from '../../../src/logging/root-logger';
import { NODE_FLAGS } from '../../../src/runtime/node-flags';
import { ADMIN_KEY, REGISTRATION_KEY } from './start-waypost';

const MAIN = join(__dirname, '..', '..', '..', 'dist', 'main.js');

export interface WaypostProcess {
  child: ChildProcess;
  admin: string;
  gateway: string;
  /** Everything the process printed so far, stdout and stderr together. */
  output(): string;
  /** The output once every line logged before the call has been written (log lines wait ≤ LOG_FLUSH_MS). */
  writtenOutput(): Promise<string>;
}

/**
 * Node runs it with `npm start`'s flags. `wrapper` runs first and execs the rest (`unshare … sh -c
 * '…; exec "$@"' sh`), keeping the pid.
 */
function spawnMain(
  env: Record<string, string>,
  wrapper: string[] = [],
): { child: ChildProcess; output: () => string } {
  let output = '';
  const [command, ...args] = [...wrapper, process.execPath, ...NODE_FLAGS, MAIN];
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** Starts the built Waypost (`dist/main.js`) as its own process and waits until both ports listen. */
export async function spawnWaypost(
  env: Record<string, string>,
  timeoutMs = 15_000,
  wrapper: string[] = [],
): Promise<WaypostProcess> {
  const { child, output } = spawnMain(
    {
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      GATEWAY_PORT: '0',
      ...env,
    },
    wrapper,
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const admin = /admin listening on 127\.0\.0\.1:(\d+)/.exec(output());
    const gateway = /gateway listening on 127\.0\.0\.1:(\d+)/.exec(output());
    if (admin && gateway) {
      return {
        child,
        admin: `http://127.0.0.1:${admin[1]}`,
        gateway: `http://127.0.0.1:${gateway[1]}`,
        output,
        writtenOutput: async () => {
          await new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_MS * 3));
          return output();
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`waypost did not start:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs Waypost expecting it to refuse to start; answers its exit code and output. */
export async function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnMain({
    HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    GATEWAY_PORT: '0',
    ...env,
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, output: output() };
}

export async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

/**
 * The built process on sqlite in `dataDir`, with the tests' keys and no registration rate limit: a
 * target to load; `env` adds settings.
 */
export function spawnLoadTarget(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<WaypostProcess> {
  return spawnWaypost({
    STORE: 'sqlite',
    DATA_DIR: dataDir,
    REGISTRATION_KEY,
    ADMIN_KEY,
    REGISTRATION_RATE_LIMIT: '1000000',
    ...env,
  });
}

/** A process's resident memory, as the kernel counts it. */
export function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}
