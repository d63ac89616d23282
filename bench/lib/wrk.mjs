// wrk runs and the ports the gateway benchmarks need, shared by bench/gateway and bench/ceiling.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export const CONNECTIONS = 64;
export const SCENARIO_NAMES = {
  small: 'small GET',
  post: '1 KiB POST',
  '16k': '16 KiB response',
  tls: 'HTTPS small GET (TLS 1.3, keep-alive)',
};

export const hasWrk = () => spawnSync('which', ['wrk']).status === 0;

export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

export async function waitForPort(port, timeoutMs = 10_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/**
 * One wrk run on core 1 against `url` for `seconds`: req/s, p50 and p99 in ms, non-2xx count. Async,
 * so the benchmark's own timers (RSS sampling) keep running meanwhile.
 */
export async function wrk(url, scenario, dir, seconds) {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency'];
  if (scenario === 'post') {
    const script = join(dir, 'post.lua');
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.body = string.rep("a", 1024)\nwrk.headers["Content-Type"] = "application/octet-stream"\n`,
    );
    args.push('-s', script);
  }
  const path = scenario === 'post' ? '/post' : scenario === '16k' ? '/16k' : '/small';
  const child = spawn('taskset', ['-c', '1', 'wrk', ...args, url + path], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  await new Promise((resolve) => child.on('close', resolve));
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const ms = (label) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50: ms('50'), p99: ms('99'), non2xx };
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
