import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { createServer, RequestListener, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { Pool, request } from 'undici';
import { aCompatRoute, aRegistration, aServiceRegistration } from '../factories';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { waitFor } from './helpers/fake-service';
import { bearer, call, send } from './helpers/http';
import { GatewayServer } from '../../src/proxy/gateway.server';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

const READ_KEY = 'reader-key-0123456789abcdef';
const WRITE_KEY = 'writer-key-0123456789abcdef';

/** Sends raw bytes to the gateway and answers the raw response (for requests fetch refuses to send). */
function raw(gateway: string, request: string): Promise<string> {
  const { port } = new URL(gateway);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('gateway', () => {
  let wp: RunningWaypost;
  const backends: EchoBackend[] = [];
  const key = bearer(REGISTRATION_KEY);
  let configured: EchoBackend;

  beforeAll(async () => {
    configured = await startEchoBackend('configured');
    backends.push(configured);
    wp = await startWaypost(
      {
        HEALTH_CHECK_INTERVAL: '200ms',
        HEALTH_CHECK_TIMEOUT: '150ms',
        TRUSTED_NETWORKS: '127.0.0.1/32',
      },
      {
        apiKeys: [
          { name: 'reader', key: READ_KEY, permissions: ['comments:read'] },
          { name: 'writer', key: WRITE_KEY, permissions: ['comments:read', 'comments:write'] },
        ],
        services: { sagjan: { permissions: ['comments:read', 'comments:write'] } },
        routes: [
          {
            host: 'config.example.com',
            path: '/',
            backend: configured.url,
            rate_limit: { requests_per_min: 2 },
          },
        ],
      },
    );
  });
  afterAll(async () => {
    await wp.cleanup();
    await Promise.all(backends.map((b) => b.close()));
  });

  /** A hand-made backend for one test, reached through a /register route on `host`. */
  async function routedServer(
    host: string,
    handler: RequestListener,
    options?: Record<string, unknown>,
  ): Promise<Server> {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({ host, path: '/', backend: `http://127.0.0.1:${port}`, options }),
    });
    return server;
  }

  async function backend(name: string): Promise<EchoBackend> {
    const started = await startEchoBackend(name);
    backends.push(started);
    return started;
  }

  async function registerInstance(body: Record<string, unknown>): Promise<string> {
    const response = await call('POST', `${wp.admin}/service`, { headers: key, body });
    expect(response.status).toBe(201);
    const id = response.body.id as string;
    await waitFor(
      async () =>
        (await call('GET', `${wp.admin}/service/${id}`, { headers: bearer(ADMIN_KEY) })).body
          .status === 'UP',
    );
    return id;
  }

  /** An instance of `serviceType` served by `backend`, checked rarely (so a test decides when it dies). */
  const slowlyChecked = (
    serviceType: string,
    target: EchoBackend,
    route: Record<string, unknown>,
  ) =>
    registerInstance(
      aRegistration({
        serviceType,
        port: target.port,
        healthCheck: { type: 'http', interval: '60s' },
        routes: [route],
      }),
    );

  const get = (path: string, headers: Record<string, string> = {}) =>
    send('GET', `${wp.gateway}${path}`, headers);

  it('routes /register traffic by Host and path with the contract headers both ways', async () => {
    const api = await backend('api-v2');
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({
        backend: api.url,
        options: { headers: { 'cache-control': 'no-store' } },
      }),
    });
    const answer = await get('/v2/users/7?expand=1', {
      host: 'api.example.com',
      'x-forwarded-for': '203.0.113.9',
      'x-request-id': 'client-id-1',
      'x-api-key-name': 'forged',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      backend: 'api-v2',
      method: 'GET',
      url: '/v2/users/7?expand=1',
    });
    expect(answer.body.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.9, 127.0.0.1',
      'x-forwarded-host': 'api.example.com',
      'x-forwarded-proto': 'http',
      'x-request-id': 'client-id-1',
    });
    expect(answer.body.headers['x-api-key-name']).toBeUndefined();
    expect(answer.headers.get('x-request-id')).toBe('client-id-1');
    expect(answer.headers.get('x-gateway')).toBe('waypost');
    expect(answer.headers.get('server-timing')).toMatch(/^gateway;dur=\d+(\.\d+)?$/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect((await get('/v2/users', { host: 'other.example.com' })).status).toBe(404);
    expect((await get('/v2x', { host: 'api.example.com' })).status).toBe(404);
    const fresh = await get('/v2', { host: 'api.example.com' });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    // Gone from the very next request, and back on the next one after registering again.
    const removed = await call('POST', `${wp.admin}/deregister`, {
      headers: key,
      body: { host: 'api.example.com', path: '/v2' },
    });
    expect(removed.status).toBe(200);
    expect((await get('/v2/users', { host: 'api.example.com' })).status).toBe(404);
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({ backend: api.url }),
    });
    expect((await get('/v2/users', { host: 'api.example.com' })).body.backend).toBe('api-v2');
  });

  it('enforces route permissions with API keys and names the key to the backend', async () => {
    const sagjan = await backend('sagjan');
    const registered = await call('POST', `${wp.admin}/internal/register-service`, {
      headers: key,
      body: aServiceRegistration({
        url: sagjan.url,
        routes: [
          { method: 'GET', path: '/api/comments/*', permission: 'comments:read' },
          { method: 'POST', path: '/api/comments/*', permission: 'comments:write' },
        ],
      }),
    });
    await waitFor(
      async () =>
        (
          await call('GET', `${wp.admin}/service/${registered.body.serviceId}`, {
            headers: bearer(ADMIN_KEY),
          })
        ).body.status === 'UP',
    );
    expect((await get('/api/comments/1')).status).toBe(401);
    expect((await get('/api/comments/1', { 'x-api-key': 'wrong-key-0123456789' })).status).toBe(
      401,
    );
    const read = await get('/api/comments/1/likes', {
      'x-api-key': READ_KEY,
      'x-api-key-name': 'forged',
    });
    expect(read.status).toBe(200);
    expect(read.body.headers['x-api-key-name']).toBe('reader');
    const denied = await call('POST', `${wp.gateway}/api/comments/1`, {
      headers: { 'x-api-key': READ_KEY },
      body: { text: 'hi' },
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ statusCode: 403, error: 'forbidden' });
    const written = await call('POST', `${wp.gateway}/api/comments/1`, {
      headers: { 'x-api-key': WRITE_KEY },
      body: { text: 'hi' },
    });
    expect(written.status).toBe(200);
    expect(written.body.headers['x-api-key-name']).toBe('writer');
    expect(
      (
        await call('DELETE', `${wp.gateway}/api/comments/1`, {
          headers: { 'x-api-key': WRITE_KEY },
        })
      ).status,
    ).toBe(404);
  });

  it('balances round robin within 10% over 300 requests, weighted 3:1, and ip_hash stable', async () => {
    const three = await Promise.all(['rr-a', 'rr-b', 'rr-c'].map(backend));
    for (const b of three)
      await registerInstance(
        aRegistration({
          serviceType: 'rr',
          port: b.port,
          healthCheck: { type: 'http' },
          routes: [{ path: '/rr' }],
        }),
      );
    const counts: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const name = (await get('/rr')).body.backend as string;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    for (const name of ['rr-a', 'rr-b', 'rr-c'])
      expect(Math.abs(counts[name] - 100)).toBeLessThanOrEqual(10);

    const [heavy, light] = await Promise.all(['w-heavy', 'w-light'].map(backend));
    await registerInstance(
      aRegistration({
        serviceType: 'weighted',
        port: heavy.port,
        weight: 3,
        healthCheck: { type: 'http' },
        routes: [{ path: '/w', load_balancer: 'weighted' }],
      }),
    );
    await registerInstance(
      aRegistration({
        serviceType: 'weighted',
        port: light.port,
        weight: 1,
        healthCheck: { type: 'http' },
        routes: [{ path: '/w', load_balancer: 'weighted' }],
      }),
    );
    const weighted: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const name = (await get('/w')).body.backend as string;
      weighted[name] = (weighted[name] ?? 0) + 1;
    }
    expect(weighted).toEqual({ 'w-heavy': 150, 'w-light': 50 });

    const sticky = await Promise.all(['ip-a', 'ip-b', 'ip-c'].map(backend));
    for (const b of sticky)
      await registerInstance(
        aRegistration({
          serviceType: 'sticky',
          port: b.port,
          healthCheck: { type: 'http' },
          routes: [{ path: '/ip', load_balancer: 'ip_hash' }],
        }),
      );
    const first = (await get('/ip')).body.backend;
    for (let i = 0; i < 20; i++) expect((await get('/ip')).body.backend).toBe(first);
  });

  it('sends nothing to DOWN or MAINTENANCE instances, 503 when none is UP', async () => {
    const [a, b] = await Promise.all(['hm-a', 'hm-b'].map(backend));
    const idA = await registerInstance(
      aRegistration({
        serviceType: 'hm',
        port: a.port,
        healthCheck: { type: 'http' },
        routes: [{ path: '/hm' }],
      }),
    );
    const idB = await registerInstance(
      aRegistration({
        serviceType: 'hm',
        port: b.port,
        healthCheck: { type: 'http' },
        routes: [{ path: '/hm' }],
      }),
    );
    await call('PATCH', `${wp.admin}/service/${idA}`, {
      headers: bearer(ADMIN_KEY),
      body: { status: 'MAINTENANCE' },
    });
    for (let i = 0; i < 10; i++) expect((await get('/hm')).body.backend).toBe('hm-b');
    await b.close();
    await waitFor(
      async () =>
        (await call('GET', `${wp.admin}/service/${idB}`, { headers: bearer(ADMIN_KEY) })).body
          .status === 'DOWN',
    );
    const none = await get('/hm');
    expect(none.status).toBe(503);
    expect(none.body).toMatchObject({ statusCode: 503, error: 'service unavailable' });
  });

  it('answers 504 for a hanging backend, 502 for a refused one, and retries to a healthy instance', async () => {
    const slow = await backend('slow');
    slow.hang = true;
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({
        host: 'slow.example.com',
        path: '/',
        backend: slow.url,
        options: { timeout: '200ms' },
      }),
    });
    const timedOut = await get('/anything', { host: 'slow.example.com' });
    expect(timedOut.status).toBe(504);
    expect(timedOut.body).toMatchObject({ statusCode: 504, error: 'gateway timeout' });

    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({ host: 'dead.example.com', path: '/', backend: 'http://127.0.0.1:1' }),
    });
    const refused = await get('/x', { host: 'dead.example.com' });
    expect(refused.status).toBe(502);
    expect(refused.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:1/);

    const alive = await backend('retry-alive');
    const doomed = await backend('retry-doomed');
    const route = { path: '/retry', retry: { enabled: true, max_attempts: 2, backoff: 'fixed' } };
    await slowlyChecked('retry', alive, route);
    await slowlyChecked('retry', doomed, route);
    await doomed.close(); // still UP in the registry until its next check
    for (let i = 0; i < 6; i++) {
      const answer = await get('/retry');
      expect(answer.status).toBe(200);
      expect(answer.body.backend).toBe('retry-alive');
    }
  });

  it('retries a POST, body and all, when the instance it picked refused the connection', async () => {
    const alive = await backend('post-alive');
    const doomed = await backend('post-doomed');
    const route = { path: '/orders', retry: { enabled: true, max_attempts: 2, backoff: 'fixed' } };
    await slowlyChecked('orders', alive, route);
    await slowlyChecked('orders', doomed, route);
    await doomed.close();
    // Round robin sends one of every two requests to the dead instance first.
    for (let i = 0; i < 2; i++) {
      const body = randomBytes(64 * 1024);
      const answer = await request(`${wp.gateway}/orders`, { method: 'POST', body });
      const echoed = (await answer.body.json()) as {
        backend: string;
        bytes: number;
        sha256: string;
      };
      expect(answer.statusCode).toBe(200);
      expect(echoed).toMatchObject({
        backend: 'post-alive',
        bytes: body.length,
        sha256: createHash('sha256').update(body).digest('hex'),
      });
    }
  });

  it('never sends a POST twice once a backend has taken it, but retries a GET', async () => {
    let hits = 0;
    // Reads the whole request, then breaks the connection without an answer.
    const breaker = await routedServer(
      'breaks.example.com',
      (req) => {
        hits++;
        req.resume();
        req.on('end', () => req.socket.destroy());
      },
      { retry: { enabled: true, max_attempts: 3, backoff: 'fixed' } },
    );
    try {
      const posted = await request(`${wp.gateway}/orders`, {
        method: 'POST',
        headers: { host: 'breaks.example.com' },
        body: 'one order',
      });
      expect(posted.statusCode).toBe(502);
      await posted.body.dump();
      expect(hits).toBe(1);

      hits = 0;
      expect((await get('/orders', { host: 'breaks.example.com' })).status).toBe(502);
      expect(hits).toBe(3);
    } finally {
      breaker.close();
    }
  });

  it('backs off 50 then 100 ms (exponential) between attempts, even to its one instance', async () => {
    let hits = 0;
    const resetting = await routedServer(
      'backoff.example.com',
      (req) => {
        hits++;
        req.socket.destroy();
      },
      { retry: { enabled: true, max_attempts: 3, backoff: 'exponential' } },
    );
    try {
      const started = performance.now();
      expect((await get('/any', { host: 'backoff.example.com' })).status).toBe(502);
      // A lower bound only: a busy machine makes it longer, never shorter.
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
      expect(hits).toBe(3);
    } finally {
      resetting.close();
    }
  });

  it('opens the circuit after failure_threshold failures and half-opens after its timeout', async () => {
    const shaky = await backend('shaky');
    shaky.status = 500;
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({
        host: 'shaky.example.com',
        path: '/',
        backend: shaky.url,
        options: { circuit_breaker: { failure_threshold: 2, timeout: '300ms' } },
      }),
    });
    const host = { host: 'shaky.example.com' };
    expect((await get('/a', host)).status).toBe(500);
    expect((await get('/b', host)).status).toBe(500);
    const hits = shaky.seen.length;
    const open = await get('/c', host);
    expect(open.status).toBe(503);
    expect(open.body.message).toMatch(/circuit open/);
    expect(shaky.seen.length).toBe(hits); // nothing reached the backend
    await new Promise((resolve) => setTimeout(resolve, 350));
    shaky.status = 200;
    expect((await get('/trial', host)).status).toBe(200); // the half-open trial
    expect((await get('/after', host)).status).toBe(200); // closed again
    expect(shaky.seen.length).toBe(hits + 2);
  });

  it('counts failures of live traffic toward health: a dead instance goes DOWN before its next check', async () => {
    const dying = await backend('dying');
    const spare = await backend('spare');
    const route = { path: '/passive' };
    const dyingId = await slowlyChecked('passive', dying, route);
    await slowlyChecked('passive', spare, route);
    await dying.close();
    for (let i = 0; i < 8; i++) await get('/passive');
    // The status lands once the store has it: at once in memory, a few ms later on etcd; either
    // way long before the instance's next check.
    const instance = await waitFor(async () => {
      const answer = await call('GET', `${wp.admin}/service/${dyingId}`, {
        headers: bearer(ADMIN_KEY),
      });
      return answer.body.status === 'DOWN' ? answer.body : null;
    }, 1_000);
    expect(instance.status).toBe('DOWN');
    expect(instance.lastError).toMatch(/^live traffic/);
    for (let i = 0; i < 5; i++) expect((await get('/passive')).body.backend).toBe('spare');
  });

  it('answers 429 with Retry-After past the route rate limit', async () => {
    const limited = await backend('limited');
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({
        host: 'limited.example.com',
        path: '/',
        backend: limited.url,
        options: { rate_limit: { requests_per_min: 3 } },
      }),
    });
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await get('/', { host: 'limited.example.com' })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const last = await get('/', { host: 'limited.example.com' });
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it("keeps a config route's rate limit across registry changes", async () => {
    const host = { host: 'config.example.com' };
    expect((await get('/a', host)).status).toBe(200);
    expect((await get('/b', host)).status).toBe(200);
    // An unrelated route change rebuilds the route table; the window must not start over.
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({ host: 'unrelated.example.com', path: '/x', backend: configured.url }),
    });
    expect((await get('/c', host)).status).toBe(429);
  });

  it('strips the literal prefix when the route says so', async () => {
    const stripped = await backend('stripped');
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({
        host: 'strip.example.com',
        path: '/svc/v1',
        backend: stripped.url,
        options: { strip_prefix: true },
      }),
    });
    expect((await get('/svc/v1/items/3?q=1', { host: 'strip.example.com' })).body.url).toBe(
      '/items/3?q=1',
    );
  });

  it('streams POST bodies byte for byte on kept-alive connections, and a 100 MiB upload', async () => {
    const sink = await backend('sink');
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({ host: 'upload.example.com', path: '/', backend: sink.url }),
    });
    const pool = new Pool(wp.gateway, { connections: 1 });
    // The gateway's own sockets, to see that a kept-alive one gathers no listener per request.
    const gatewaySockets: Socket[] = [];
    const server = (wp.app.admin.get(GatewayServer) as unknown as { server: Server }).server;
    const track = (socket: Socket) => gatewaySockets.push(socket);
    server.on('connection', track);
    try {
      for (const size of [0, 1, 1024, 65_537, 1_048_576, ...Array<number>(15).fill(16)]) {
        const body = randomBytes(size);
        const response = await pool.request({
          path: '/up',
          method: 'POST',
          headers: { host: 'upload.example.com', 'content-type': 'application/octet-stream' },
          body,
        });
        const seen = (await response.body.json()) as { bytes: number; sha256: string };
        expect(seen.bytes).toBe(size);
        expect(seen.sha256).toBe(createHash('sha256').update(body).digest('hex'));
      }
      // 100 MiB, generated as a stream: nothing holds it whole.
      const chunk = randomBytes(1024 * 1024);
      const hash = createHash('sha256');
      async function* hundredMiB() {
        for (let i = 0; i < 100; i++) {
          hash.update(chunk);
          yield chunk;
        }
      }
      const big = await pool.request({
        path: '/big',
        method: 'PUT',
        headers: { host: 'upload.example.com' },
        body: Readable.from(hundredMiB()),
      });
      const seen = (await big.body.json()) as { bytes: number; sha256: string };
      expect(seen.bytes).toBe(100 * 1024 * 1024);
      expect(seen.sha256).toBe(hash.digest('hex'));
      expect(gatewaySockets).toHaveLength(1);
      // node:http's own 'timeout' listener, and nothing per request on top of it.
      expect(gatewaySockets[0].listenerCount('timeout')).toBeLessThanOrEqual(1);
    } finally {
      server.off('connection', track);
      await pool.close();
    }
  });

  it('streams a 100 MiB download byte for byte', async () => {
    const chunk = randomBytes(1024 * 1024);
    const expected = createHash('sha256');
    for (let i = 0; i < 100; i++) expected.update(chunk);
    const server = await routedServer('download.example.com', (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': 100 * chunk.length,
      });
      let sent = 0;
      const pump = () => {
        while (sent < 100) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    try {
      const response = await request(`${wp.gateway}/file`, {
        headers: { host: 'download.example.com' },
      });
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const part of response.body) {
        hash.update(part as Buffer);
        bytes += (part as Buffer).length;
      }
      expect(bytes).toBe(100 * 1024 * 1024);
      expect(hash.digest('hex')).toBe(expected.digest('hex'));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('passes each part of a streamed answer on as it comes, and a HEAD answer with its length', async () => {
    let release: () => void = () => undefined;
    const secondPart = new Promise<void>((resolve) => (release = resolve));
    const server = await routedServer('events.example.com', (req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5000' });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      void secondPart.then(() => res.end('data: second\n\n'));
    });
    try {
      const response = await request(`${wp.gateway}/events`, {
        headers: { host: 'events.example.com' },
      });
      expect(response.headers['transfer-encoding']).toBe('chunked');
      const parts = response.body[Symbol.asyncIterator]();
      // The first part arrives while the backend still holds the second.
      expect(String((await parts.next()).value)).toBe('data: first\n\n');
      release();
      expect(String((await parts.next()).value)).toBe('data: second\n\n');
      expect((await parts.next()).done).toBe(true);

      const head = await request(`${wp.gateway}/events`, {
        method: 'HEAD',
        headers: { host: 'events.example.com' },
      });
      expect(head.statusCode).toBe(200);
      expect(head.headers['content-length']).toBe('5000');
      expect(head.headers['x-gateway']).toBe('waypost');
      await head.body.dump();
    } finally {
      release();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('cancels the upstream request when the client goes away', async () => {
    let closed = false;
    // Never answers; notes when the gateway gives up the request.
    const server = await routedServer('gone.example.com', (req) =>
      req.on('close', () => (closed = true)),
    );
    try {
      await expect(
        request(`${wp.gateway}/wait`, {
          headers: { host: 'gone.example.com' },
          signal: AbortSignal.timeout(200),
        }),
      ).rejects.toThrow();
      await waitFor(() => closed, 2_000); // long before the 30 s route timeout
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses hostile request targets and headers without re-targeting the backend', async () => {
    const guarded = await backend('guarded');
    await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({ host: 'guard.example.com', path: '/v2', backend: guarded.url }),
    });
    const before = guarded.seen.length;
    const status = (answer: string) => Number(answer.split(' ')[1]);
    expect(
      status(
        await raw(
          wp.gateway,
          'GET /v2/../admin HTTP/1.1\r\nHost: guard.example.com\r\nConnection: close\r\n\r\n',
        ),
      ),
    ).toBe(400);
    expect(
      status(
        await raw(
          wp.gateway,
          'GET /v2/%2e%2e/admin HTTP/1.1\r\nHost: guard.example.com\r\nConnection: close\r\n\r\n',
        ),
      ),
    ).toBe(400);
    expect(
      status(
        await raw(
          wp.gateway,
          'GET http://evil.example.com/v2 HTTP/1.1\r\nHost: guard.example.com\r\nConnection: close\r\n\r\n',
        ),
      ),
    ).toBe(400);
    expect(
      status(
        await raw(
          wp.gateway,
          'GET /v2 HTTP/1.1\r\nHost: guard.example.com\r\nHost: evil.example.com\r\nConnection: close\r\n\r\n',
        ),
      ),
    ).toBe(400);
    expect(
      status(
        await raw(
          wp.gateway,
          'POST /v2 HTTP/1.1\r\nHost: guard.example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n',
        ),
      ),
    ).toBe(400);
    expect(
      status(
        await raw(
          wp.gateway,
          'POST /v2 HTTP/1.1\r\nHost: guard.example.com\r\nContent-Length: 4\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcd',
        ),
      ),
    ).toBe(400);
    expect(
      status(
        await raw(
          wp.gateway,
          `GET /v2 HTTP/1.1\r\nHost: guard.example.com\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
        ),
      ),
    ).toBe(431);
    expect(guarded.seen.length).toBe(before);

    // Connection may not strip the gateway's own X-Forwarded-For: the backend still learns the client.
    const hidden = await raw(
      wp.gateway,
      'GET /v2/x HTTP/1.1\r\nHost: guard.example.com\r\nConnection: close, X-Forwarded-For\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n',
    );
    expect(status(hidden)).toBe(200);
    const seen = guarded.seen[guarded.seen.length - 1];
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers.connection).not.toMatch(/x-forwarded-for/i);
  });
});
