// npm run bench:footprint — what each layer of Waypost costs in memory. Each step runs in a fresh
// Node process that loads everything of the steps before it plus its own, collects garbage and
// reports RSS and live heap; the last step is the real process (dist/main.js, memory store) idle.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssMb, SHIPPED_NODE_ARGS } from './lib/process.mjs';
import { freePort, waitForPort } from './lib/wrk.mjs';

const root = new URL('..', import.meta.url).pathname;
const STEPS = [
  ['node', []],
  ['+ undici', ['undici']],
  ['+ @nestjs/core, common, rxjs', ['reflect-metadata', '@nestjs/common', '@nestjs/core', 'rxjs']],
  ['+ @nestjs/platform-fastify', ['@nestjs/platform-fastify']],
  ['+ class-validator, class-transformer', ['class-validator', 'class-transformer']],
  ['+ @nestjs/swagger (+ @fastify/static)', ['@nestjs/swagger', '@fastify/static']],
  ['+ better-sqlite3, yaml, ipaddr.js', ['better-sqlite3', 'yaml', 'ipaddr.js']],
  [
    '+ @nestjs/config, event-emitter, schedule, terminus',
    ['@nestjs/config', '@nestjs/event-emitter', '@nestjs/schedule', '@nestjs/terminus'],
  ],
];

function measureRequires(modules) {
  const script = `${modules.map((m) => `require(${JSON.stringify(m)});`).join('')}
    global.gc(); global.gc();
    const m = process.memoryUsage();
    process.stdout.write(JSON.stringify({ rss: m.rss / 1048576, heap: m.heapUsed / 1048576 }));`;
  const out = spawnSync(process.execPath, ['--expose-gc', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout);
}

async function idleWaypost() {
  const dir = mkdtempSync(join(tmpdir(), 'waypost-footprint-'));
  const port = await freePort();
  const child = spawn(process.execPath, [...SHIPPED_NODE_ARGS, join(root, 'dist/main.js')], {
    env: {
      PATH: process.env.PATH,
      STORE: 'memory',
      DATA_DIR: dir,
      HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      ADMIN_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  try {
    await waitForPort(port);
    await new Promise((r) => setTimeout(r, 2000));
    return rssMb(child.pid);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = ['footprint: RSS and live heap after GC, each step loading all the steps above it'];
const loaded = [];
let previous = 0;
for (const [name, modules] of STEPS) {
  loaded.push(...modules);
  const { rss, heap } = measureRequires(loaded);
  lines.push(
    `  ${name.padEnd(52)} RSS ${rss.toFixed(0).padStart(4)} MiB (+${(rss - previous).toFixed(0)})  heap ${heap.toFixed(1)} MiB`,
  );
  previous = rss;
}
lines.push(
  `  ${'Waypost booted, idle (dist/main.js, STORE=memory)'.padEnd(52)} RSS ${(await idleWaypost()).toFixed(0).padStart(4)} MiB`,
);
process.stdout.write(lines.join('\n') + '\n');
