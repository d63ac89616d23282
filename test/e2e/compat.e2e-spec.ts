import { aCompatRoute, aRegistration, aServiceRegistration } from '../factories';
import { bearer, call, instanceHeaders } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

const CONFIG_FILE = {
  routes: [{ host: 'static.example.com', path: '/admin', backend: 'http://127.0.0.1:9999' }],
  services: { sagjan: { permissions: ['comments:read', 'comments:write'] } },
};

describe('compatibility endpoints', () => {
  let wp: RunningWaypost;
  const key = bearer(REGISTRATION_KEY);

  beforeAll(async () => {
    wp = await startWaypost({}, CONFIG_FILE);
  });
  afterAll(() => wp.cleanup());

  const routes = async () => (await call('GET', `${wp.admin}/routes`, { headers: key })).body;

  describe('host/path/backend registry', () => {
    it('registers, lists with total, refuses a duplicate with 409, deregisters, then 404', async () => {
      const created = await call('POST', `${wp.admin}/register`, {
        headers: key,
        body: aCompatRoute({
          options: {
            timeout: '5s',
            health_check_path: '/healthz',
            rate_limit: { requests_per_min: 100 },
          },
        }),
      });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        status: 'registered',
        host: 'api.example.com',
        path: '/v2',
        backend: 'http://127.0.0.1:9000',
      });

      const duplicate = await call('POST', `${wp.admin}/register`, {
        headers: key,
        body: aCompatRoute({ backend: 'http://127.0.0.1:9001' }),
      });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.error).toBe('route already exists');

      const listed = await routes();
      expect(listed.total).toBe(listed.routes.length);
      const mine = listed.routes.find((r: { host: string }) => r.host === 'api.example.com');
      expect(mine).toMatchObject({
        path: '/v2',
        backend: 'http://127.0.0.1:9000',
        registered_at: expect.any(String),
      });
      expect(mine.options).toMatchObject({
        timeout: 5000,
        health_check_path: '/healthz',
        rate_limit: { requests_per_min: 100, per_ip: true, enabled: true },
      });

      const removed = await call('POST', `${wp.admin}/deregister`, {
        headers: key,
        body: { host: 'api.example.com', path: '/v2' },
      });
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual({
        status: 'deregistered',
        host: 'api.example.com',
        path: '/v2',
      });
      const again = await call('POST', `${wp.admin}/deregister`, {
        headers: key,
        body: { host: 'api.example.com', path: '/v2' },
      });
      expect(again.status).toBe(404);
      expect(
        (await routes()).routes.some((r: { host: string }) => r.host === 'api.example.com'),
      ).toBe(false);
    });

    it('lists every route with the four contract keys, config routes included', async () => {
      const listed = await routes();
      const config = listed.routes.find((r: { origin: string }) => r.origin === 'config');
      expect(config).toMatchObject({
        host: 'static.example.com',
        path: '/admin',
        backend: 'http://127.0.0.1:9999',
      });
      for (const route of listed.routes) {
        expect(Object.keys(route)).toEqual(
          expect.arrayContaining(['host', 'path', 'backend', 'registered_at']),
        );
      }
    });

    it('refuses with 409 a route that would take traffic from a config route, and keeps nothing', async () => {
      const before = await routes();
      for (const body of [
        aCompatRoute({ host: 'static.example.com', path: '/admin' }),
        aCompatRoute({ host: 'static.example.com', path: '/admin/users' }),
      ]) {
        const response = await call('POST', `${wp.admin}/register`, { headers: key, body });
        expect(response.status).toBe(409);
        expect(response.body.error).toBe('route already exists');
      }
      expect(await routes()).toEqual(before);
    });

    it('accepts a less specific host beside a config route: the config route still wins its host', async () => {
      const wildcard = { host: '*.example.com', path: '/admin' };
      const accepted = await call('POST', `${wp.admin}/register`, {
        headers: key,
        body: aCompatRoute(wildcard),
      });
      expect(accepted.status).toBe(200);
      expect(
        (await call('POST', `${wp.admin}/deregister`, { headers: key, body: wildcard })).status,
      ).toBe(200);
    });

    it('accepts the admin key to list routes, and nothing without a key', async () => {
      expect((await call('GET', `${wp.admin}/routes`, { headers: bearer(ADMIN_KEY) })).status).toBe(
        200,
      );
      expect((await call('GET', `${wp.admin}/routes`)).status).toBe(401);
      expect((await call('POST', `${wp.admin}/register`, { body: aCompatRoute() })).status).toBe(
        401,
      );
      expect(
        (await call('POST', `${wp.admin}/deregister`, { body: { host: 'a.com', path: '/a' } }))
          .status,
      ).toBe(401);
    });
  });

  describe('service/url/routes registry', () => {
    it('registers with routes and permissions; the instance is discoverable and its routes listed', async () => {
      const response = await call('POST', `${wp.admin}/internal/register-service`, {
        headers: key,
        body: aServiceRegistration(),
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        status: 'registered',
        service: 'sagjan',
        serviceId: expect.any(String),
        token: expect.any(String),
      });
      expect(response.body.routes).toEqual([
        expect.objectContaining({
          path: '/api/comments/*',
          methods: ['GET'],
          permission: 'comments:read',
          service: 'sagjan',
        }),
      ]);

      const creds = instanceHeaders(response.body.serviceId, response.body.token);
      const discovered = await call('GET', `${wp.admin}/services/sagjan`, { headers: creds });
      expect(discovered.body.instances).toEqual([
        expect.objectContaining({
          id: response.body.serviceId,
          url: 'http://127.0.0.1:7812',
          healthCheck: expect.objectContaining({ type: 'http', path: '/health' }),
        }),
      ]);
      const listed = await routes();
      expect(listed.routes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: '/api/comments/*', backend: null, service: 'sagjan' }),
        ]),
      );
    });

    it('replaces url and routes when the same service registers again', async () => {
      const first = await call('POST', `${wp.admin}/internal/register-service`, {
        headers: key,
        body: aServiceRegistration(),
      });
      const second = await call('POST', `${wp.admin}/internal/register-service`, {
        headers: key,
        body: aServiceRegistration({
          url: 'http://127.0.0.1:7813',
          routes: [{ method: 'POST', path: '/api/comments', permission: 'comments:write' }],
        }),
      });
      expect(second.status).toBe(200);
      expect(second.body.serviceId).toBe(first.body.serviceId);
      const instances = (
        await call('GET', `${wp.admin}/services/sagjan`, { headers: bearer(ADMIN_KEY) })
      ).body.instances;
      expect(instances).toHaveLength(1);
      expect(instances[0].url).toBe('http://127.0.0.1:7813');
      const sagjanRoutes = (await routes()).routes.filter(
        (r: { service: string }) => r.service === 'sagjan',
      );
      expect(sagjanRoutes).toEqual([
        expect.objectContaining({
          path: '/api/comments',
          methods: ['POST'],
          permission: 'comments:write',
        }),
      ]);
    });

    it('refuses a permission the service is not allowed with 403 and changes nothing', async () => {
      const before = await routes();
      const denied = await call('POST', `${wp.admin}/internal/register-service`, {
        headers: key,
        body: aServiceRegistration({ routes: [{ path: '/api/admin', permission: 'admin:all' }] }),
      });
      expect(denied.status).toBe(403);
      const unlisted = await call('POST', `${wp.admin}/internal/register-service`, {
        headers: key,
        body: aServiceRegistration({
          service: 'stranger',
          routes: [{ path: '/x', permission: 'comments:read' }],
        }),
      });
      expect(unlisted.status).toBe(403);
      expect(await routes()).toEqual(before);
      expect(
        (await call('GET', `${wp.admin}/services/stranger`, { headers: bearer(ADMIN_KEY) })).body
          .instances,
      ).toEqual([]);
    });

    it('lets replicas share a route, which goes with the last of them', async () => {
      const body = aRegistration({ serviceType: 'replicated', routes: [{ path: '/replicated' }] });
      const a = await call('POST', `${wp.admin}/service`, {
        headers: key,
        body: { ...body, port: 5001 },
      });
      const b = await call('POST', `${wp.admin}/service`, {
        headers: key,
        body: { ...body, port: 5002 },
      });
      expect([a.status, b.status]).toEqual([201, 201]);
      const find = async () =>
        (await routes()).routes.filter((r: { path: string }) => r.path === '/replicated');
      expect(await find()).toHaveLength(1);
      await call('DELETE', `${wp.admin}/service/${a.body.id}`, { headers: bearer(ADMIN_KEY) });
      expect(await find()).toHaveLength(1);
      await call('DELETE', `${wp.admin}/service/${b.body.id}`, { headers: bearer(ADMIN_KEY) });
      expect(await find()).toHaveLength(0);
    });

    it('refuses the same route from another service with 409', async () => {
      const taken = await call('POST', `${wp.admin}/register`, {
        headers: key,
        body: aCompatRoute({ host: 'taken.example.com', path: '/t' }),
      });
      expect(taken.status).toBe(200);
      const clash = await call('POST', `${wp.admin}/service`, {
        headers: key,
        body: aRegistration({
          serviceType: 'clash',
          routes: [{ host: 'taken.example.com', path: '/t' }],
        }),
      });
      expect(clash.status).toBe(409);
      expect(
        (await call('GET', `${wp.admin}/services/clash`, { headers: bearer(ADMIN_KEY) })).body
          .instances,
      ).toEqual([]);
    });
  });
});
