import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { aCompatRoute, aRegistration, aServiceRegistration } from '../factories';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { waitFor } from './helpers/fake-service';
import { bearer, call, send } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

const APP = 'https://app.example.com';

/** The gateway's edge route options against real backends, from each place routes come from. */
describe('gateway edge options', () => {
  let wp: RunningWaypost;
  let backend: EchoBackend;
  const key = bearer(REGISTRATION_KEY);
  const seenSince = (mark: number) => backend.seen.slice(mark);
  const via = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    send(method, `${wp.gateway}${path}`, { host: 'edge.example.com', ...headers });

  beforeAll(async () => {
    backend = await startEchoBackend('edge');
    const route = (path: string, options: Record<string, unknown>) => ({
      host: 'edge.example.com',
      path,
      backend: backend.url,
      ...options,
    });
    wp = await startWaypost(
      { TRUSTED_NETWORKS: '127.0.0.1/32', HEALTH_CHECK_INTERVAL: '200ms' },
      {
        routes: [
          route('/office', { allow_from: ['10.0.0.0/8'] }),
          route('/local', { allow_from: ['127.0.0.0/8'], deny_from: ['10.0.0.0/8'] }),
          route('/banned', { deny_from: ['127.0.0.1'] }),
          route('/api', {
            methods: ['GET', 'PUT'],
            cors: {
              origins: [APP, 'https://*.example.org'],
              credentials: true,
              max_age: 600,
              expose_headers: ['X-Backend'],
            },
          }),
          route('/headers', {
            request_headers: {
              set: { 'X-Client': '${client_ip}', 'X-Route-Host': '${host}' },
              add: { Via: 'waypost' },
              remove: ['Cookie'],
            },
            response_headers: { set: { 'X-Req': '${request_id}' }, remove: ['X-Backend'] },
          }),
          route('/old', { redirect: { to: 'https://new.example.com${path}', status: 301 } }),
          // A redirect needs no backend at all.
          { host: 'edge.example.com', path: '/gone', redirect: { to: '/new${path}' } },
          route('/v1', {
            strip_prefix: true,
            rewrite: { pattern: '^/users/(\\d+)$', replacement: '/api/people/$1' },
          }),
          route('/upload', { max_body_size: '1kb' }),
          route('/quota', {
            cors: { origins: [APP] },
            rate_limit: { enabled: true, requests_per_min: 1, per_ip: false },
          }),
        ],
      },
    );
  });

  afterAll(async () => {
    await wp.cleanup();
    await backend.close();
  });

  it('refuses a client outside allow_from or inside deny_from with 403, before any backend', async () => {
    const mark = backend.seen.length;
    const outside = await via('/office/x');
    expect(outside.status).toBe(403);
    expect(outside.body).toMatchObject({ statusCode: 403, error: 'forbidden' });
    expect((await via('/banned/x')).status).toBe(403);
    expect(seenSince(mark)).toEqual([]);
    expect((await via('/local/x')).status).toBe(200);
  });

  it('answers a CORS preflight itself, as a browser sends it, and never bothers the backend', async () => {
    const mark = backend.seen.length;
    const preflight = await via(
      '/api/items',
      {
        origin: APP,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type,x-token',
      },
      'OPTIONS',
    );
    expect(preflight.status).toBe(204);
    expect(
      Object.fromEntries([...preflight.headers].filter(([h]) => h.startsWith('access-control'))),
    ).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, PUT',
      'access-control-allow-headers': 'content-type, x-token',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
    });
    expect(preflight.headers.get('vary')).toContain('Origin');
    const stranger = await via(
      '/api/items',
      { origin: 'https://evil.example.net', 'access-control-request-method': 'PUT' },
      'OPTIONS',
    );
    expect(stranger.status).toBe(204);
    expect([...stranger.headers.keys()].filter((h) => h.startsWith('access-control'))).toEqual([]);
    expect(seenSince(mark)).toEqual([]);
  });

  it('adds CORS headers and Vary: Origin to an ordinary answer, for allowed origins only', async () => {
    const allowed = await via('/api/items', { origin: 'https://shop.example.org' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.org');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-expose-headers')).toBe('X-Backend');
    expect(allowed.headers.get('vary')).toBe('Origin');
    const stranger = await via('/api/items', { origin: 'https://example.org' });
    expect(stranger.status).toBe(200);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect(stranger.headers.get('vary')).toBe('Origin');
  });

  it("puts a CORS route's headers on the gateway's own refusals, so a browser can read a 429", async () => {
    expect((await via('/quota/a', { origin: APP })).status).toBe(200);
    const limited = await via('/quota/a', { origin: APP });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe(APP);
    expect(limited.headers.get('vary')).toBe('Origin');
    expect(limited.headers.get('retry-after')).toEqual(expect.any(String));
    const stranger = await via('/quota/a', { origin: 'https://evil.example.net' });
    expect(stranger.status).toBe(429);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sets, adds and removes headers both ways, keeping the X-Forwarded-For chain', async () => {
    const answer = await via('/headers/x', {
      cookie: 'session=secret',
      via: '1.1 cdn',
      'x-forwarded-for': '198.51.100.7',
      'x-request-id': 'edge-req-1',
    });
    expect(answer.status).toBe(200);
    const seen = answer.body.headers;
    expect(seen['x-client']).toBe('127.0.0.1');
    expect(seen['x-route-host']).toBe('edge.example.com');
    expect(seen.via).toBe('1.1 cdn, waypost');
    expect(seen.cookie).toBeUndefined();
    expect(seen['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1');
    expect(answer.headers.get('x-backend')).toBeNull();
    expect(answer.headers.get('x-req')).toBe('edge-req-1');
  });

  it('redirects without a backend, keeping the path and the query', async () => {
    const mark = backend.seen.length;
    const moved = await via('/old/a/b?x=1');
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toBe('https://new.example.com/old/a/b?x=1');
    const gone = await via('/gone/page');
    expect([gone.status, gone.headers.get('location')]).toEqual([302, '/new/gone/page']);
    expect(seenSince(mark)).toEqual([]);
    const explained = await call(
      'GET',
      `${wp.admin}/routes/explain?host=edge.example.com&path=/gone/page`,
      { headers: bearer(ADMIN_KEY) },
    );
    expect(explained.body).toMatchObject({
      target: { gateway: true },
      edge: { client_allowed: true, redirect: '/new/gone/page' },
      answer: 302,
    });
    const refused = await call(
      'GET',
      `${wp.admin}/routes/explain?host=edge.example.com&path=/office/x`,
      { headers: bearer(ADMIN_KEY) },
    );
    expect(refused.body).toMatchObject({ edge: { client_allowed: false }, answer: 403 });
  });

  it('answers an upgrade on a redirect route with the redirect, on the raw socket', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(wp.gateway).port), '127.0.0.1', () =>
        socket.write(
          'GET /old/ws HTTP/1.1\r\nHost: edge.example.com\r\nConnection: Upgrade\r\n' +
            'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        ),
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 301 Moved Permanently\r\n/);
    expect(answer).toContain('location: https://new.example.com/old/ws\r\n');
  });

  it('rewrites the path after strip_prefix and keeps the query', async () => {
    expect((await via('/v1/users/42?full=1')).body.url).toBe('/api/people/42?full=1');
    expect((await via('/v1/teams/7')).body.url).toBe('/teams/7');
  });

  it('answers 413 to a declared body over max_body_size before any backend, and cuts a chunked one', async () => {
    const mark = backend.seen.length;
    const declared = await request(`${wp.gateway}/upload`, {
      method: 'POST',
      headers: { host: 'edge.example.com', 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(2048),
    });
    expect(declared.statusCode).toBe(413);
    expect(await declared.body.json()).toMatchObject({
      statusCode: 413,
      error: 'payload too large',
    });
    expect(seenSince(mark)).toEqual([]);

    const fits = await request(`${wp.gateway}/upload`, {
      method: 'POST',
      headers: { host: 'edge.example.com' },
      body: Buffer.alloc(1024),
    });
    expect(fits.statusCode).toBe(200);
    expect(((await fits.body.json()) as { bytes: number }).bytes).toBe(1024);

    // No Content-Length: chunked, 512 bytes at a time, past the limit on the third.
    const chunks = Readable.from([
      Buffer.alloc(512),
      Buffer.alloc(512),
      Buffer.alloc(512),
      Buffer.alloc(512),
    ]);
    const chunked = await request(`${wp.gateway}/upload`, {
      method: 'POST',
      headers: { host: 'edge.example.com' },
      body: chunks,
    });
    expect(chunked.statusCode).toBe(413);
    expect(await chunked.body.json()).toMatchObject({ statusCode: 413 });
    expect(backend.seen.slice(mark).some((s) => s.bytes > 1024)).toBe(false);
  });

  it('takes the options from POST /service, /register and /internal/register-service too', async () => {
    const instance = await call('POST', `${wp.admin}/service`, {
      headers: key,
      body: aRegistration({
        serviceType: 'edge-svc',
        port: backend.port,
        routes: [{ path: '/svc', host: 'edge.example.com', redirect: { to: '/elsewhere' } }],
      }),
    });
    expect(instance.status).toBe(201);
    const redirected = await via('/svc/x');
    expect([redirected.status, redirected.headers.get('location')]).toEqual([302, '/elsewhere']);

    const compat = await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({
        host: 'compat.example.com',
        path: '/c',
        backend: backend.url,
        options: {
          response_headers: { set: { 'X-Compat': '${route}' } },
          deny_from: ['10.0.0.0/8'],
        },
      }),
    });
    expect(compat.status).toBe(200);
    const viaCompat = await send('GET', `${wp.gateway}/c/1`, { host: 'compat.example.com' });
    expect(viaCompat.status).toBe(200);
    expect(viaCompat.headers.get('x-compat')).toMatch(/^[0-9a-f-]{36}$/);

    const internal = await call('POST', `${wp.admin}/internal/register-service`, {
      headers: key,
      body: aServiceRegistration({
        service: 'edge-internal',
        url: backend.url,
        routes: [
          {
            method: 'GET',
            path: '/internal-edge/*',
            rewrite: { pattern: '^/internal-edge/(.*)$', replacement: '/$1' },
          },
        ],
      }),
    });
    expect(internal.status).toBeLessThan(300);
    await waitFor(
      async () =>
        (
          await call('GET', `${wp.admin}/service/${internal.body.serviceId}`, {
            headers: bearer(ADMIN_KEY),
          })
        ).body.status === 'UP',
    );
    expect((await send('GET', `${wp.gateway}/internal-edge/hello`)).body.url).toBe('/hello');
  });

  it('refuses bad options with 400 naming the field, and registers nothing', async () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ cors: { origins: ['ftp://x'] } }, /routes\.0\.cors\.origins/],
      [{ cors: { origins: [APP], max_age: -1 } }, /routes\.0\.cors\.max_age/],
      [
        { request_headers: { set: { Connection: 'close' } } },
        /routes\.0\.request_headers\.set cannot change connection/,
      ],
      [
        { request_headers: { add: { 'X-Forwarded-For': '1.2.3.4' } } },
        /cannot change x-forwarded-for/,
      ],
      [{ response_headers: { set: { 'X-A': '${secret}' } } }, /unknown variable \$\{secret\}/],
      [
        { response_headers: { remove: ['Transfer-Encoding'] } },
        /routes\.0\.response_headers\.remove cannot change transfer-encoding/,
      ],
      [{ redirect: { to: 'javascript:alert(1)' } }, /routes\.0\.redirect\.to/],
      [{ redirect: { to: '/x', status: 303 } }, /routes\.0\.redirect\.status/],
      [
        { rewrite: { pattern: '^(a+)+$', replacement: '/x' } },
        /routes\.0\.rewrite\.pattern .*backtrack/,
      ],
      [
        { rewrite: { pattern: '(', replacement: '/x' } },
        /routes\.0\.rewrite\.pattern is not a regular expression/,
      ],
      [{ rewrite: { pattern: '^/a', replacement: 'no-slash' } }, /routes\.0\.rewrite\.replacement/],
      [{ max_body_size: 'ten' }, /routes\.0\.max_body_size/],
      [{ max_body_size: 0 }, /routes\.0\.max_body_size/],
      [{ allow_from: ['300.1.1.1/8'] }, /routes\.0\.allow_from/],
      [{ deny_from: [] }, /routes\.0\.deny_from/],
      [{ compression: 'yes' }, /routes\.0\.compression/],
      [{ compression: { min_size: 'big' } }, /routes\.0\.compression\.min_size/],
      [
        { cors: { origins: [APP], extra: 1 } },
        /routes\.0\.cors\.extra: property extra should not exist/,
      ],
    ];
    const before = await call('GET', `${wp.admin}/routes`, { headers: bearer(ADMIN_KEY) });
    for (const [options, field] of bad) {
      const answer = await call('POST', `${wp.admin}/service`, {
        headers: key,
        body: aRegistration({ serviceType: 'bad-edge', routes: [{ path: '/bad', ...options }] }),
      });
      expect([answer.status, answer.body.message]).toEqual([400, expect.stringMatching(field)]);
    }
    const services = await call('GET', `${wp.admin}/services`, { headers: bearer(ADMIN_KEY) });
    expect(JSON.stringify(services.body)).not.toContain('bad-edge');
    const after = await call('GET', `${wp.admin}/routes`, { headers: bearer(ADMIN_KEY) });
    expect(after.body).toEqual(before.body);
  });
});
