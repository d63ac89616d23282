import { aRegistration, aServiceRegistration } from '../factories';
import {
  FakeService,
  sleep,
  startFakeService,
  startTcpListener,
  waitFor,
} from './helpers/fake-service';
import { bearer, call, instanceHeaders } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

const FAST = {
  HEALTH_CHECK_INTERVAL: '200ms',
  HEALTH_CHECK_TIMEOUT: '150ms',
  DOWN_CHECK_INTERVAL: '100ms',
  UNHEALTHY_THRESHOLD: '3',
  HEALTHY_THRESHOLD: '1',
  STOP_CHECKS_AFTER: '10',
};

describe('health monitor', () => {
  let wp: RunningWaypost;
  const services: FakeService[] = [];
  const admin = bearer(ADMIN_KEY);

  beforeAll(async () => {
    wp = await startWaypost(FAST);
  });
  afterAll(async () => {
    await wp.cleanup();
    await Promise.all(services.map((s) => s.close()));
  });

  async function fake(): Promise<FakeService> {
    const service = await startFakeService();
    services.push(service);
    return service;
  }

  async function register(body: Record<string, unknown>) {
    const response = await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body,
    });
    expect(response.status).toBe(201);
    return response.body as { id: string; token: string; serviceId: string };
  }

  const instance = async (id: string) =>
    (await call('GET', `${wp.admin}/service/${id}`, { headers: admin })).body;
  const statusOf = async (id: string) => (await instance(id)).status;
  const until = (id: string, status: string, timeoutMs = 5_000) =>
    waitFor(async () => ((await statusOf(id)) === status ? true : null), timeoutMs);

  it('checks at registration and then at the configured interval', async () => {
    const backend = await fake();
    const started = Date.now();
    const { id } = await register(
      aRegistration({
        serviceType: 'paced',
        port: backend.port,
        healthCheck: { type: 'http', path: '/health' },
      }),
    );
    await until(id, 'UP', 1_000);
    expect(Date.now() - started).toBeLessThan(500); // the first check runs at registration
    await sleep(1_100);
    // One check at registration, then one per 200ms slot: five or six in 1.1 s, never a burst.
    expect(backend.hitsOf('/health')).toBeGreaterThanOrEqual(5);
    expect(backend.hitsOf('/health')).toBeLessThanOrEqual(8);
  });

  it('marks DOWN after 3 failed checks, UP again when healthy, and stops pinging after 10 failures', async () => {
    const backend = await fake();
    const registration = await register(
      aRegistration({ serviceType: 'flaky', port: backend.port, healthCheck: { type: 'http' } }),
    );
    const { id } = registration;
    await until(id, 'UP');

    backend.mode = 'fail';
    await until(id, 'DOWN');
    const down = await instance(id);
    expect(down.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(down.lastError).toBe('HTTP 503');

    backend.mode = 'ok';
    await until(id, 'UP');
    expect((await instance(id)).consecutiveFailures).toBe(0);

    backend.mode = 'fail';
    const before = backend.hitsOf('/health');
    const stopped = await waitFor(async () =>
      (await instance(id)).checksStopped ? instance(id) : null,
    );
    expect(stopped).toMatchObject({ status: 'DOWN', consecutiveFailures: 10 });
    const atStop = backend.hitsOf('/health');
    expect(atStop - before).toBe(10);
    await sleep(600);
    expect(backend.hitsOf('/health')).toBe(atStop); // no more pings

    // A heartbeat starts the checks again; the service is healthy again.
    backend.mode = 'ok';
    const creds = instanceHeaders(registration.serviceId, registration.token);
    expect(
      (await call('PUT', `${wp.admin}/service/${id}/heartbeat`, { headers: creds })).status,
    ).toBe(200);
    await until(id, 'UP');
    expect((await instance(id)).checksStopped).toBe(false);
  });

  it('restarts stopped checks when the admin says UP', async () => {
    const backend = await fake();
    backend.mode = 'fail';
    const { id } = await register(
      aRegistration({ serviceType: 'revived', port: backend.port, healthCheck: { type: 'http' } }),
    );
    await waitFor(async () => (await instance(id)).checksStopped);
    backend.mode = 'ok';
    await call('PATCH', `${wp.admin}/service/${id}`, { headers: admin, body: { status: 'UP' } });
    await until(id, 'UP');
  });

  it('fails a hanging backend by timeout and a resetting one by reset', async () => {
    const hanging = await fake();
    hanging.mode = 'hang';
    const resetting = await fake();
    resetting.mode = 'reset';
    const a = await register(
      aRegistration({ serviceType: 'hanging', port: hanging.port, healthCheck: { type: 'http' } }),
    );
    const b = await register(
      aRegistration({
        serviceType: 'resetting',
        port: resetting.port,
        healthCheck: { type: 'http' },
      }),
    );
    await until(a.id, 'DOWN');
    await until(b.id, 'DOWN');
    const timedOut = await instance(a.id);
    expect(timedOut.lastError).toBe('timed out after 150ms');
    expect(timedOut.responseTimeMs).toBeGreaterThanOrEqual(140);
    expect((await instance(b.id)).lastError).toBe('connection reset');
  });

  it('checks TCP instances by connecting', async () => {
    const listener = await startTcpListener();
    const { id } = await register(
      aRegistration({
        serviceType: 'tcp-service',
        port: listener.port,
        healthCheck: { type: 'tcp' },
      }),
    );
    await until(id, 'UP');
    await listener.close();
    await until(id, 'DOWN');
    expect((await instance(id)).lastError).toBe('connection refused');
    const again = await startTcpListener(listener.port);
    await until(id, 'UP');
    await again.close();
  });

  it('takes a TTL instance DOWN when it stops heartbeating and UP with its next heartbeat', async () => {
    const registration = await register(
      aRegistration({
        serviceType: 'ttl-service',
        port: 1,
        healthCheck: { type: 'ttl', ttl: '400ms' },
      }),
    );
    const creds = instanceHeaders(registration.serviceId, registration.token);
    const beat = () =>
      call('PUT', `${wp.admin}/service/${registration.id}/heartbeat`, { headers: creds });
    expect((await instance(registration.id)).status).toBe('UNKNOWN');
    await beat();
    expect(await statusOf(registration.id)).toBe('UP');
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      await beat();
      expect(await statusOf(registration.id)).toBe('UP');
    }
    await until(registration.id, 'DOWN', 1_500);
    expect((await instance(registration.id)).lastError).toBe('no heartbeat within 400ms');
    await beat();
    expect(await statusOf(registration.id)).toBe('UP');
  });

  it('leaves MAINTENANCE alone and does not check it', async () => {
    const backend = await fake();
    const { id } = await register(
      aRegistration({ serviceType: 'drained', port: backend.port, healthCheck: { type: 'http' } }),
    );
    await until(id, 'UP');
    await call('PATCH', `${wp.admin}/service/${id}`, {
      headers: admin,
      body: { status: 'MAINTENANCE' },
    });
    backend.mode = 'fail';
    const hits = backend.hitsOf('/health');
    await sleep(700);
    expect(await statusOf(id)).toBe('MAINTENANCE');
    expect(backend.hitsOf('/health')).toBe(hits);
    backend.mode = 'ok';
    await call('PATCH', `${wp.admin}/service/${id}`, { headers: admin, body: { status: 'UP' } });
    await until(id, 'UP');
  });

  it('discovers only UP instances with ?status=UP and reports every service on /health', async () => {
    const good = await fake();
    const bad = await fake();
    bad.mode = 'fail';
    const a = await register(
      aRegistration({ serviceType: 'mixed', port: good.port, healthCheck: { type: 'http' } }),
    );
    const b = await register(
      aRegistration({ serviceType: 'mixed', port: bad.port, healthCheck: { type: 'http' } }),
    );
    await until(a.id, 'UP');
    await until(b.id, 'DOWN');
    const up = await call('GET', `${wp.admin}/services/mixed?status=UP`, { headers: admin });
    expect(up.body.instances.map((i: { id: string }) => i.id)).toEqual([a.id]);
    const health = await call('GET', `${wp.admin}/health`);
    expect(health.body.services.mixed).toMatchObject({
      status: 'UP',
      instances: 2,
      up: 1,
      last_ping: expect.any(String),
      response_time_ms: expect.any(Number),
      consecutive_failures: 0,
    });
  });

  it('checks /internal/register-service clients on their health_endpoint', async () => {
    const backend = await fake();
    const response = await call('POST', `${wp.admin}/internal/register-service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aServiceRegistration({
        service: 'legacy',
        url: backend.url,
        health_endpoint: '/status',
        routes: [],
      }),
    });
    await until(response.body.serviceId, 'UP');
    expect(backend.hitsOf('/status')).toBeGreaterThan(0);
    backend.mode = 'fail';
    await until(response.body.serviceId, 'DOWN');
    const health = await call('GET', `${wp.admin}/health`);
    expect(health.body.services.legacy).toMatchObject({
      status: 'DOWN',
      url: backend.url,
      consecutive_failures: expect.any(Number),
    });
    expect(health.body.services.legacy.consecutive_failures).toBeGreaterThanOrEqual(3);
  });
});

describe('health monitor: DEREGISTER_AFTER and restarts', () => {
  const services: FakeService[] = [];
  afterAll(() => Promise.all(services.map((s) => s.close())));

  it('removes an instance that stayed DOWN for DEREGISTER_AFTER, with its routes', async () => {
    const wp = await startWaypost({ ...FAST, DEREGISTER_AFTER: '1s' });
    try {
      const backend = await startFakeService();
      services.push(backend);
      backend.mode = 'fail';
      const registered = await call('POST', `${wp.admin}/service`, {
        headers: bearer(REGISTRATION_KEY),
        body: aRegistration({
          serviceType: 'doomed',
          port: backend.port,
          healthCheck: { type: 'http' },
          routes: [{ path: '/doomed' }],
        }),
      });
      expect(registered.status).toBe(201);
      const id = registered.body.id;
      await waitFor(
        async () =>
          (await call('GET', `${wp.admin}/service/${id}`, { headers: bearer(ADMIN_KEY) }))
            .status === 404,
        4_000,
      );
      const routes = await call('GET', `${wp.admin}/routes`, { headers: bearer(ADMIN_KEY) });
      expect(routes.body.routes.some((r: { path: string }) => r.path === '/doomed')).toBe(false);
    } finally {
      await wp.cleanup();
    }
  });

  it('keeps statuses across a restart and checks again at once', async () => {
    const good = await startFakeService();
    const bad = await startFakeService();
    services.push(good, bad);
    bad.mode = 'fail';
    // Checks must not stop before the restart: this test is about restarting, not giving up.
    const first = await startWaypost({ ...FAST, STORE: 'sqlite', STOP_CHECKS_AFTER: '1000' });
    const register = async (port: number) => {
      const response = await call('POST', `${first.admin}/service`, {
        headers: bearer(REGISTRATION_KEY),
        body: aRegistration({ serviceType: 'kept', port, healthCheck: { type: 'http' } }),
      });
      expect(response.status).toBe(201);
      return response.body.id as string;
    };
    const upId = await register(good.port);
    const downId = await register(bad.port);
    const statusIn = async (wp: RunningWaypost, id: string) =>
      (await call('GET', `${wp.admin}/service/${id}`, { headers: bearer(ADMIN_KEY) })).body.status;
    await waitFor(
      async () =>
        (await statusIn(first, upId)) === 'UP' && (await statusIn(first, downId)) === 'DOWN',
    );
    await first.close();

    const goodHits = good.hitsOf('/health');
    const badHits = bad.hitsOf('/health');
    // A long interval: any check seen right after start is the "at once" one.
    const second = await startWaypost({
      ...FAST,
      STORE: 'sqlite',
      STOP_CHECKS_AFTER: '1000',
      HEALTH_CHECK_INTERVAL: '60s',
      DOWN_CHECK_INTERVAL: '60s',
      DATA_DIR: first.dataDir,
    });
    try {
      expect(await statusIn(second, upId)).toBe('UP');
      expect(await statusIn(second, downId)).toBe('DOWN');
      await waitFor(
        () => good.hitsOf('/health') > goodHits && bad.hitsOf('/health') > badHits,
        2_000,
      );
    } finally {
      await second.cleanup();
    }
  });
});
