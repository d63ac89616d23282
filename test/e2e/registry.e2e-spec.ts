import { aRegistration } from '../factories';
import { bearer, call, instanceHeaders } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

describe('registry API', () => {
  let wp: RunningWaypost;

  beforeAll(async () => {
    wp = await startWaypost();
  });
  afterAll(() => wp.cleanup());

  const register = (body: Record<string, unknown>, key = REGISTRATION_KEY) =>
    call('POST', `${wp.admin}/service`, { body, headers: bearer(key) });

  it('registers, discovers, reads itself, heartbeats and deregisters', async () => {
    const a = await register(
      aRegistration({ port: '3001', tags: ['blue'], version: '1.0.0', zone: 'z1' }),
    );
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      serviceType: 'user-service',
      port: 3001,
      url: 'http://127.0.0.1:3001',
      status: 'UP',
    });
    expect(a.body.serviceId).toBe(a.body.id);
    expect(a.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const b = await register(aRegistration({ port: 3002, zone: 'z2' }));
    const other = await register({
      serviceType: 'orders',
      port: 4000,
      healthCheck: { type: 'http' },
    });
    expect(other.body.status).toBe('UNKNOWN');
    expect(other.body.host).toBe('127.0.0.1'); // the caller's address
    const creds = instanceHeaders(a.body.serviceId, a.body.token);

    const list = await call('GET', `${wp.admin}/services/user-service`, { headers: creds });
    expect(list.status).toBe(200);
    expect(list.body.serviceType).toBe('user-service');
    expect(list.body.instances.map((i: { port: number }) => i.port).sort()).toEqual([3001, 3002]);
    for (const filter of ['tag=blue', 'zone=z1', 'version=1.0.0']) {
      const filtered = await call('GET', `${wp.admin}/services/user-service?${filter}`, {
        headers: creds,
      });
      expect(filtered.body.instances.map((i: { id: string }) => i.id)).toEqual([a.body.id]);
    }
    const up = await call('GET', `${wp.admin}/services/user-service?status=UP`, { headers: creds });
    expect(up.body.instances).toHaveLength(2);

    const summary = await call('GET', `${wp.admin}/services`, { headers: creds });
    expect(summary.body.services).toEqual({
      orders: { instances: 1, up: 0 },
      'user-service': { instances: 2, up: 2 },
    });

    const self = await call('GET', `${wp.admin}/service/${a.body.id}`, { headers: creds });
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({
      id: a.body.id,
      serviceType: 'user-service',
      consecutiveFailures: 0,
    });

    const beat = await call('PUT', `${wp.admin}/service/${a.body.id}/heartbeat`, {
      headers: creds,
    });
    expect(beat.status).toBe(200);
    expect(beat.body.lastHeartbeatAt).toEqual(expect.any(String));

    const gone = await call('DELETE', `${wp.admin}/service/${a.body.id}`, { headers: creds });
    expect(gone.status).toBe(200);
    const after = await call('GET', `${wp.admin}/service/${a.body.id}`, {
      headers: bearer(ADMIN_KEY),
    });
    expect(after.status).toBe(404);
    // The deregistered instance's credentials no longer open anything.
    expect((await call('GET', `${wp.admin}/services`, { headers: creds })).status).toBe(401);
    await call('DELETE', `${wp.admin}/service/${b.body.id}`, { headers: bearer(ADMIN_KEY) });
    await call('DELETE', `${wp.admin}/service/${other.body.id}`, { headers: bearer(ADMIN_KEY) });
  });

  it('answers 401 to a wrong or missing registration key and registers nothing', async () => {
    const before = await call('GET', `${wp.admin}/services`, { headers: bearer(ADMIN_KEY) });
    expect((await register(aRegistration(), 'wrong-key-wrong-key')).status).toBe(401);
    const missing = await call('POST', `${wp.admin}/service`, { body: aRegistration() });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
    // The admin key is not a registration key.
    expect((await register(aRegistration(), ADMIN_KEY)).status).toBe(401);
    const after = await call('GET', `${wp.admin}/services`, { headers: bearer(ADMIN_KEY) });
    expect(after.body).toEqual(before.body);
  });

  it("refuses another instance's token with 403 and lets the admin act", async () => {
    const a = await register(aRegistration({ port: 3101 }));
    const b = await register(aRegistration({ port: 3102 }));
    const asB = instanceHeaders(b.body.serviceId, b.body.token);
    expect(
      (await call('DELETE', `${wp.admin}/service/${a.body.id}`, { headers: asB })).status,
    ).toBe(403);
    expect(
      (
        await call('PATCH', `${wp.admin}/service/${a.body.id}`, {
          headers: asB,
          body: { weight: 5 },
        })
      ).status,
    ).toBe(403);
    expect(
      (await call('PUT', `${wp.admin}/service/${a.body.id}/heartbeat`, { headers: asB })).status,
    ).toBe(403);
    // A token under another instance's id is no credential at all.
    const mixed = instanceHeaders(a.body.serviceId, b.body.token);
    expect((await call('GET', `${wp.admin}/service/${a.body.id}`, { headers: mixed })).status).toBe(
      401,
    );
    // Heartbeat is the instance's own act: not even the admin.
    expect(
      (
        await call('PUT', `${wp.admin}/service/${a.body.id}/heartbeat`, {
          headers: bearer(ADMIN_KEY),
        })
      ).status,
    ).toBe(401);
    const drained = await call('PATCH', `${wp.admin}/service/${a.body.id}`, {
      headers: bearer(ADMIN_KEY),
      body: { status: 'MAINTENANCE', weight: 3, metadata: { reason: 'deploy' } },
    });
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({
      status: 'MAINTENANCE',
      weight: 3,
      metadata: { reason: 'deploy' },
    });
    const undrained = await call('PATCH', `${wp.admin}/service/${a.body.id}`, {
      headers: instanceHeaders(a.body.serviceId, a.body.token),
      body: { status: 'UP' },
    });
    expect(undrained.body.status).toBe('UP'); // check type none: UP at once
    expect(
      (await call('DELETE', `${wp.admin}/service/${a.body.id}`, { headers: bearer(ADMIN_KEY) }))
        .status,
    ).toBe(200);
    expect(
      (await call('DELETE', `${wp.admin}/service/${b.body.id}`, { headers: asB })).status,
    ).toBe(200);
  });

  it('reflects every change in discovery at once', async () => {
    const admin = bearer(ADMIN_KEY);
    const ids = async (query: string) =>
      (
        await call('GET', `${wp.admin}/services/fresh${query}`, { headers: admin })
      ).body.instances.map((i: { id: string }) => i.id);
    expect(await ids('')).toEqual([]);
    const a = await register(aRegistration({ serviceType: 'fresh', port: 3401 }));
    expect(await ids('?status=UP')).toEqual([a.body.id]);
    await call('PATCH', `${wp.admin}/service/${a.body.id}`, {
      headers: admin,
      body: { status: 'MAINTENANCE' },
    });
    expect(await ids('?status=UP')).toEqual([]);
    expect(await ids('?status=MAINTENANCE')).toEqual([a.body.id]);
    await call('DELETE', `${wp.admin}/service/${a.body.id}`, { headers: admin });
    expect(await ids('')).toEqual([]);
  });

  it('takes 30 registrations with routes sent at once (one turn, one sqlite transaction) and 30 deletes', async () => {
    const admin = bearer(ADMIN_KEY);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        register(
          aRegistration({
            serviceType: 'burst',
            port: 3500 + i,
            routes: [{ path: `/burst-${i}` }],
          }),
        ),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 201));
    const listed = await call('GET', `${wp.admin}/services/burst`, { headers: admin });
    expect(listed.body.instances).toHaveLength(30);
    const routes = await call('GET', `${wp.admin}/routes`, { headers: admin });
    const paths = (routes.body.routes as { path: string }[]).map((route) => route.path);
    for (let i = 0; i < 30; i++) expect(paths).toContain(`/burst-${i}`);
    const deletes = await Promise.all(
      answers.map((answer) =>
        call('DELETE', `${wp.admin}/service/${answer.body.serviceId}`, { headers: admin }),
      ),
    );
    expect(deletes.map((answer) => answer.status)).toEqual(deletes.map(() => 200));
    const after = await call('GET', `${wp.admin}/routes`, { headers: admin });
    expect(
      (after.body.routes as { path: string }[]).filter((route) => route.path.startsWith('/burst')),
    ).toEqual([]);
  });

  it('answers 404 for an unknown id', async () => {
    for (const [method, path] of [
      ['GET', '/service/00000000-0000-0000-0000-000000000000'],
      ['DELETE', '/service/unknown'],
      ['PATCH', '/service/unknown'],
    ]) {
      const response = await call(method, `${wp.admin}${path}`, {
        headers: bearer(ADMIN_KEY),
        body: method === 'PATCH' ? {} : undefined,
      });
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ statusCode: 404, error: 'not found' });
    }
  });

  it('shows the token only once, at registration', async () => {
    const a = await register(aRegistration({ port: 3201, routes: [{ path: '/once' }] }));
    const token: string = a.body.token;
    const creds = instanceHeaders(a.body.serviceId, token);
    const reads = await Promise.all([
      call('GET', `${wp.admin}/service/${a.body.id}`, { headers: creds }),
      call('GET', `${wp.admin}/services/user-service`, { headers: creds }),
      call('GET', `${wp.admin}/services`, { headers: creds }),
      call('PUT', `${wp.admin}/service/${a.body.id}/heartbeat`, { headers: creds }),
      call('PATCH', `${wp.admin}/service/${a.body.id}`, { headers: creds, body: { weight: 2 } }),
      call('GET', `${wp.admin}/routes`, { headers: bearer(REGISTRATION_KEY) }),
      call('GET', `${wp.admin}/health`),
      call('GET', `${wp.admin}/docs-json`),
    ]);
    for (const read of reads) {
      expect(read.status).toBe(200);
      expect(read.text).not.toContain(token);
      expect(read.text).not.toMatch(/tokenHash/);
    }
    await call('DELETE', `${wp.admin}/service/${a.body.id}`, { headers: creds });
  });

  it('replaces an instance that registers again at the same URL, with a new token', async () => {
    const first = await register(aRegistration({ port: 3301 }));
    const second = await register(aRegistration({ port: 3301, version: '2' }));
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.token).not.toBe(first.body.token);
    expect(second.body.version).toBe('2');
    const old = instanceHeaders(first.body.id, first.body.token);
    expect((await call('GET', `${wp.admin}/services`, { headers: old })).status).toBe(401);
    await call('DELETE', `${wp.admin}/service/${first.body.id}`, { headers: bearer(ADMIN_KEY) });
  });

  it('takes url instead of host and port', async () => {
    const a = await register({
      serviceType: 'by-url',
      url: 'http://[::1]:8443/',
      healthCheck: { type: 'none' },
    });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ host: '::1', port: 8443, url: 'http://[::1]:8443' });
    await call('DELETE', `${wp.admin}/service/${a.body.id}`, { headers: bearer(ADMIN_KEY) });
  });

  it('serves Swagger UI and an OpenAPI document with every endpoint and its auth', async () => {
    const ui = await fetch(`${wp.admin}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    const spec = await call('GET', `${wp.admin}/docs-json`);
    const paths = Object.keys(spec.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/service',
        '/services',
        '/services/{serviceType}',
        '/service/{id}',
        '/service/{id}/heartbeat',
        '/register',
        '/deregister',
        '/routes',
        '/internal/register-service',
        '/health',
        '/health/live',
        '/health/ready',
        '/services/{serviceType}/watch',
        '/events',
        '/service/{id}/history',
        '/routes/explain',
      ]),
    );
    // Every schema a reference names is in the document (a missing one breaks generated clients).
    const refs = [
      ...JSON.stringify(spec.body).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g),
    ];
    expect(refs.length).toBeGreaterThan(10);
    for (const [, name] of refs)
      expect({ name, found: name in spec.body.components.schemas }).toEqual({ name, found: true });
    // The event streams say what they carry.
    const watch = spec.body.paths['/services/{serviceType}/watch'].get;
    expect(Object.keys(watch.responses['200'].content)).toEqual(['text/event-stream']);
    expect(watch.description).toMatch(/event: snapshot/);
    expect(spec.body.paths['/events'].get.description).toMatch(/instanceStatusChanged/);
    const list = spec.body.paths['/services/{serviceType}'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['index', 'wait']),
    );
    expect(Object.keys(spec.body.components.securitySchemes)).toEqual(
      expect.arrayContaining(['registration-key', 'admin-key', 'service-id', 'service-token']),
    );
    expect(spec.body.paths['/service'].post.security).toEqual([{ 'registration-key': [] }]);
  });
});
