import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, Server } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Waypost, WaypostError } from '../../packages/client/src';
import type { ChangeEvent } from '../../packages/client/src';
import { sleep, waitFor } from './helpers/fake-service';
import { ADMIN_KEY, REGISTRATION_KEY } from './helpers/start-waypost';
import { kill, spawnWaypost, WaypostProcess } from './helpers/waypost-process';

const CLIENT_DIST = join(__dirname, '..', '..', 'packages', 'client', 'dist');

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * @waypost/client against the real, built Waypost on fixed ephemeral ports (so that a restart
 * keeps its address), with real HTTP services.
 */
describe('@waypost/client against a real registry', () => {
  jest.setTimeout(60_000);
  let dataDir: string;
  let adminPort: number;
  let gatewayPort: number;
  let registry: WaypostProcess;
  const clients: Waypost[] = [];
  const servers: Server[] = [];

  const startRegistry = async (dir = dataDir) => {
    registry = await spawnWaypost({
      ADMIN_PORT: String(adminPort),
      GATEWAY_PORT: String(gatewayPort),
      STORE: 'sqlite',
      DATA_DIR: dir,
      REGISTRATION_KEY,
      ADMIN_KEY,
      REGISTRATION_RATE_LIMIT: '100000',
      HEALTH_CHECK_INTERVAL: '500ms',
    });
  };
  const url = () => `http://127.0.0.1:${adminPort}`;
  const client = (options: Partial<ConstructorParameters<typeof Waypost>[0]> = {}) => {
    const made = new Waypost({ url: url(), registrationKey: REGISTRATION_KEY, ...options });
    clients.push(made);
    return made;
  };
  const service = async (name: string) => {
    const server = createServer((req, res) => res.end(`${name} ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return (server.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'waypost-sdk-'));
    adminPort = await freePort();
    gatewayPort = await freePort();
    await startRegistry();
  });

  afterEach(() => {
    for (const made of clients.splice(0)) made.close();
  });

  afterAll(async () => {
    await kill(registry.child, 'SIGKILL');
    for (const server of servers) server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers, is discovered live by another client, and is routed to by the gateway', async () => {
    const port = await service('orders-1');
    const orders = client();
    const registered: unknown[] = [];
    orders.on('registered', (instance) => registered.push(instance));
    const me = await orders.register({
      serviceType: 'orders',
      host: '127.0.0.1',
      port,
      healthCheck: { type: 'ttl', ttl: '3s' },
      routes: [{ path: '/orders/*' }],
    });
    expect(me).toMatchObject({ serviceType: 'orders', port, status: 'UP' });
    expect(registered).toHaveLength(1);
    // The token goes to the registry only: not in the event, not in what the client shows.
    expect(registered[0]).not.toHaveProperty('token');
    expect(orders.instance).not.toHaveProperty('token');
    expect(orders.instance).toMatchObject({ id: me.id, status: 'UP' });

    const caller = client({ registrationKey: undefined, adminKey: ADMIN_KEY });
    const changes: ChangeEvent[] = [];
    caller.on('change', (change) => changes.push(change));
    expect((await caller.instances('orders')).map((i) => i.port)).toEqual([port]);
    expect((await caller.pick('orders')).port).toBe(port);
    expect(await (await caller.fetch('orders', '/orders/1')).text()).toBe('orders-1 /orders/1');
    expect(await (await fetch(`http://127.0.0.1:${gatewayPort}/orders/2`)).text()).toBe(
      'orders-1 /orders/2',
    );

    // One change, one event: a second instance registers.
    const second = client();
    const port2 = await service('orders-2');
    await second.register({
      serviceType: 'orders',
      host: '127.0.0.1',
      port: port2,
      healthCheck: { type: 'none' },
    });
    await waitFor(() => changes.length === 1, 2_000);
    await sleep(300);
    expect(changes).toHaveLength(1);
    expect(changes[0].instances.map((i) => i.port).sort()).toEqual([port, port2].sort());
    const picked = [await caller.pick('orders'), await caller.pick('orders')].map((i) => i.port);
    expect(picked.sort()).toEqual([port, port2].sort());

    // Drained: no longer UP, so neither picked nor routed; deregistered: gone.
    await second.drain();
    await waitFor(async () => (await caller.instances('orders')).length === 1, 2_000);
    await second.deregister();
    await waitFor(() => changes.length === 3, 2_000);
    expect(changes[2].instances.map((i) => i.port)).toEqual([port]);
  });

  it('tries another instance when one refuses the connection', async () => {
    const live = await service('live');
    const dead = await freePort();
    const a = client();
    const b = client();
    const none = { type: 'none' as const };
    await a.register({ serviceType: 'flaky', host: '127.0.0.1', port: live, healthCheck: none });
    await b.register({ serviceType: 'flaky', host: '127.0.0.1', port: dead, healthCheck: none });
    const caller = client({ registrationKey: undefined, adminKey: ADMIN_KEY });
    for (let i = 0; i < 4; i++)
      expect(await (await caller.fetch('flaky', '/x')).text()).toBe('live /x');
  });

  it('answers WaypostError with the status and code of the registry, and no secret in it', async () => {
    const wrong = client({ registrationKey: 'not-the-key-but-long-enough' });
    const error = (await wrong
      .register({ serviceType: 'nope', host: '127.0.0.1', port: 1 })
      .catch((e: unknown) => e)) as WaypostError;
    expect(error).toBeInstanceOf(WaypostError);
    expect([error.status, error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('not-the-key');
  });

  it('keeps serving the last known instances while the registry is down, registers again when it lost them, and resumes the watch', async () => {
    const port = await service('survivor');
    const survivor = client();
    const again: unknown[] = [];
    survivor.on('reregistered', (instance) => again.push(instance));
    survivor.on('error', () => undefined);
    await survivor.register({
      serviceType: 'survivor',
      host: '127.0.0.1',
      port,
      healthCheck: { type: 'ttl', ttl: '1s' },
    });
    const watcher = client({ registrationKey: undefined, adminKey: ADMIN_KEY });
    const errors: WaypostError[] = [];
    watcher.on('error', (error) => errors.push(error));
    const changes: ChangeEvent[] = [];
    watcher.on('change', (change) => changes.push(change));
    expect(await watcher.instances('survivor')).toHaveLength(1);

    // Killed, and down for 10 s: discovery answers what it knew.
    await kill(registry.child, 'SIGKILL');
    for (let i = 0; i < 5; i++) {
      expect((await watcher.instances('survivor')).map((x) => x.port)).toEqual([port]);
      await sleep(2_000);
    }
    // Back on an empty DATA_DIR: the registry knows nothing; the client registers itself again
    // within two ttls, with nothing asked of the service, and the watch resumes and sees it.
    const empty = mkdtempSync(join(tmpdir(), 'waypost-sdk-empty-'));
    try {
      await startRegistry(empty);
      const back = Date.now();
      await waitFor(() => again.length === 1, 2_000 + 1_000);
      expect(Date.now() - back).toBeLessThan(2 * 1_000 + 1_000);
      // The watch comes back by itself (its back-off is at most 4 s) and sees the new registration.
      await waitFor(
        () => changes.some((c) => c.instances.some((x) => x.port === port && x.status === 'UP')),
        8_000,
      );
      expect((await watcher.instances('survivor')).map((x) => x.port)).toEqual([port]);
      expect(errors.every((error) => error instanceof WaypostError && error.status === 0)).toBe(
        true,
      );
    } finally {
      await kill(registry.child, 'SIGKILL');
      await startRegistry();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('falls back to long-polls when a proxy in the way breaks the watch stream', async () => {
    // Passes every request to the registry but answers watch streams 502, as some proxies do.
    const proxy = createServer((req, res) => {
      if (req.url?.includes('/watch')) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        return res.end('streaming not supported here');
      }
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: adminPort,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    servers.push(proxy);
    const through = client({
      url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      registrationKey: undefined,
      adminKey: ADMIN_KEY,
    });
    const changes: ChangeEvent[] = [];
    through.on('change', (change) => changes.push(change));
    await waitFor(async () => {
      try {
        return (await through.instances('polled')).length === 0;
      } catch {
        return false;
      }
    }, 5_000);
    const polled = client();
    await polled.register({
      serviceType: 'polled',
      host: '127.0.0.1',
      port: 4321,
      healthCheck: { type: 'none' },
    });
    await waitFor(() => changes.length === 1, 5_000);
    expect(changes[0].instances.map((i) => i.port)).toEqual([4321]);
  });

  for (const build of ['cjs', 'esm'] as const) {
    it(`leaves nothing behind after close(): a script on the ${build} build exits by itself`, async () => {
      const port = await service(`script-${build}`);
      const script = join(dataDir, `script.${build === 'esm' ? 'mjs' : 'cjs'}`);
      const load =
        build === 'esm'
          ? `import { Waypost } from ${JSON.stringify(join(CLIENT_DIST, 'esm', 'index.js'))};`
          : `const { Waypost } = require(${JSON.stringify(join(CLIENT_DIST, 'cjs', 'index.js'))});`;
      writeFileSync(
        script,
        `${load}
const waypost = new Waypost({ url: ${JSON.stringify(url())}, registrationKey: process.env.KEY });
(async () => {
  await waypost.register({ serviceType: 'script', host: '127.0.0.1', port: ${port}, healthCheck: { type: 'ttl', ttl: '1s' } });
  const seen = await waypost.instances('script');
  await waypost.deregister();
  waypost.close();
  console.log('done', seen.length);
})();
`,
      );
      const child = spawn(process.execPath, [script], {
        env: { PATH: process.env.PATH ?? '', KEY: REGISTRATION_KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const started = Date.now();
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect([code, output.trim()]).toEqual([0, 'done 1']);
      // Nothing held it: it exited as soon as the work was done, not after some timeout.
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  }

  it('drains, waits, deregisters and exits on SIGTERM', async () => {
    const port = await service('leaving');
    const script = join(dataDir, 'leaving.cjs');
    writeFileSync(
      script,
      `const { Waypost } = require(${JSON.stringify(join(CLIENT_DIST, 'cjs', 'index.js'))});
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok')).listen(0);
const waypost = new Waypost({ url: ${JSON.stringify(url())}, registrationKey: process.env.KEY });
waypost.shutdownOnSignals({ drainFor: '1s' });
waypost.register({ serviceType: 'leaving', host: '127.0.0.1', port: ${port}, healthCheck: { type: 'none' } }).then(() => console.log('registered'));
`,
    );
    const child = spawn(process.execPath, [script], {
      env: { PATH: process.env.PATH ?? '', KEY: REGISTRATION_KEY },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('registered'), 5_000);
    const watcher = client({ registrationKey: undefined, adminKey: ADMIN_KEY });
    const statuses = async () =>
      (
        (await (
          await fetch(`${url()}/services/leaving`, {
            headers: { authorization: `Bearer ${ADMIN_KEY}` },
          })
        ).json()) as { instances: { status: string }[] }
      ).instances.map((i) => i.status);
    expect(await statuses()).toEqual(['UP']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    await waitFor(async () => (await statuses())[0] === 'MAINTENANCE', 1_000);
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(1_000);
    expect(await statuses()).toEqual([]);
    watcher.close();
  });
});
