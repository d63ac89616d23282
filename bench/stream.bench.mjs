// npm run bench:stream — 1 GiB up and 1 GiB down through the gateway, with Waypost's RSS sampled
// every 100 ms: streaming holds no body, so memory stays flat whatever the size. The backend is a
// plain node:http server on core 1 (a sink that counts and a source that sends zeros); Waypost runs
// on core 0. Figures: throughput and RSS before, at peak and after.
import { createServer, request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssMb, SHIPPED_NODE_ARGS, startPinned, stop } from './lib/process.mjs';

const root = new URL('..', import.meta.url).pathname;
/** BENCH_GIB=4 moves 4 GiB each way: the peak RSS should not move with it. */
const SIZE_GIB = Number(process.env.BENCH_GIB ?? 1);
const GIB = SIZE_GIB * 1024 ** 3;
const CHUNK = Buffer.alloc(1024 * 1024);

const backend = createServer((req, res) => {
  if (req.method === 'PUT') {
    let bytes = 0;
    req.on('data', (c) => (bytes += c.length));
    req.on('end', () => res.end(JSON.stringify({ bytes })));
    return;
  }
  res.writeHead(200, { 'content-length': GIB });
  sendAll(res);
});

/** Writes the whole size in 1 MiB chunks, minding backpressure, then ends. */
function sendAll(writable) {
  let sent = 0;
  const pump = () => {
    while (sent < GIB) {
      sent += CHUNK.length;
      if (!writable.write(CHUNK)) return void writable.once('drain', pump);
    }
    writable.end();
  };
  pump();
}

/** Runs `transfer` while sampling the process's RSS; answers seconds and peak RSS in MB. */
async function measured(pid, transfer) {
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
  const start = process.hrtime.bigint();
  const bytes = await transfer();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  if (bytes !== GIB) throw new Error(`moved ${bytes} bytes, not ${GIB}`);
  return { seconds, peak };
}

function upload(port) {
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: '127.0.0.1', method: 'PUT', path: '/up', headers: { 'content-length': GIB } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(JSON.parse(body).bytes));
      },
    );
    req.on('error', reject);
    sendAll(req);
  });
}

function download(port) {
  return new Promise((resolve, reject) => {
    request({ port, host: '127.0.0.1', path: '/down' }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve(bytes));
    })
      .on('error', reject)
      .end();
  });
}

async function main() {
  await new Promise((r) => backend.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'waypost-stream-bench-'));
  const config = join(dir, 'waypost.yaml');
  writeFileSync(
    config,
    `routes:\n  - path: /\n    backend: http://127.0.0.1:${backend.address().port}\n`,
  );
  const { child, match } = await startPinned({
    core: 0,
    script: join(root, 'dist/main.js'),
    nodeArgs: SHIPPED_NODE_ARGS,
    env: {
      CONFIG_FILE: config,
      STORE: 'memory',
      DATA_DIR: join(dir, 'data'),
      HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      ADMIN_PORT: '0',
    },
    ready: (out) => /gateway listening on [\d.]+:(\d+)/.exec(out),
  });
  const port = Number(match[1]);
  try {
    const idle = rssMb(child.pid);
    const up = await measured(child.pid, () => upload(port));
    const down = await measured(child.pid, () => download(port));
    const after = rssMb(child.pid);
    const line = (name, r) =>
      `  ${name}: ${(GIB / 2 ** 20 / r.seconds).toFixed(0)} MiB/s, peak RSS ${r.peak.toFixed(0)} MB`;
    process.stdout.write(
      [
        `${SIZE_GIB} GiB each way through the gateway (Waypost on core 0, node:http backend and client on core 1)`,
        `  RSS before: ${idle.toFixed(0)} MB`,
        line('upload (PUT)  ', up),
        line('download (GET)', down),
        `  RSS after: ${after.toFixed(0)} MB; growth at peak over before: ${(Math.max(up.peak, down.peak) - idle).toFixed(0)} MB`,
      ].join('\n') + '\n',
    );
  } finally {
    await stop(child);
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
