import { aRegistration, aServiceRegistration } from '../factories';
import { FakeService, startFakeService, waitFor } from './helpers/fake-service';
import { bearer, call } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

describe('health endpoints', () => {
  let wp: RunningWaypost;
  let sagjan: FakeService;

  beforeAll(async () => {
    sagjan = await startFakeService();
    wp = await startWaypost({}, { routes: [{ path: '/static', backend: 'http://127.0.0.1:9' }] });
  });
  afterAll(async () => {
    await wp.cleanup();
    await sagjan.close();
  });

  it('summarizes Waypost and every service in the contract shape', async () => {
    await call('POST', `${wp.admin}/internal/register-service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aServiceRegistration({ url: sagjan.url, routes: [{ path: '/c' }] }),
    });
    await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aRegistration({ serviceType: 'pinger', port: 1 }),
    });
    await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aRegistration({ serviceType: 'pinger', port: 2 }),
    });
    const health = await waitFor(async () => {
      const answer = await call('GET', `${wp.admin}/health`);
      return answer.body.services.sagjan?.status === 'UP' ? answer : null;
    });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'healthy',
      service: 'waypost',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      registered_routes: 2,
      node: expect.stringMatching(/:\d+$/),
      // Only sagjan has a check; the pingers have none.
      nodes: [{ id: health.body.node, checks: 1 }],
      services: {
        sagjan: {
          status: 'UP',
          url: sagjan.url,
          last_ping: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          response_time_ms: expect.any(Number),
          consecutive_failures: 0,
          instances: 1,
          up: 1,
        },
        pinger: expect.objectContaining({ status: 'UP', instances: 2, up: 2 }),
      },
    });
  });

  it('answers liveness and readiness the Terminus way, without credentials', async () => {
    const live = await call('GET', `${wp.admin}/health/live`);
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('ok');
    expect(live.headers.get('cache-control')).toMatch(/no-cache/);
    const ready = await call('GET', `${wp.admin}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { store: { status: 'up' } } });
  });

  it('reports not ready once the store stops answering', async () => {
    const other = await startWaypost();
    try {
      (other.app.admin.get('REGISTRY_STORE') as { close(): void }).close();
      const ready = await call('GET', `${other.admin}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        statusCode: 503,
        status: 'error',
        details: { store: { status: 'down' } },
      });
    } finally {
      await other.cleanup();
    }
  });

  it('keeps the gateway port answering 404 JSON for unrouted requests', async () => {
    const response = await call('GET', `${wp.gateway}/nothing/here`, {
      headers: bearer(ADMIN_KEY),
    });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ statusCode: 404, error: 'route not found' });
  });

  it('exposes Prometheus metrics to the admin key only', async () => {
    expect((await call('GET', `${wp.admin}/metrics`)).status).toBe(401);
    await call('GET', `${wp.gateway}/still/nothing`);
    const metrics = await call('GET', `${wp.admin}/metrics`, { headers: bearer(ADMIN_KEY) });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toContain('waypost_instances{service="sagjan",status="UP"} 1');
    expect(metrics.text).toContain('waypost_instances{service="pinger",status="UP"} 2');
    expect(metrics.text).toMatch(/^waypost_routes 2$/m);
    expect(metrics.text).toMatch(/^waypost_node_info\{node="[^"]+:\d+"\} 1$/m);
    expect(metrics.text).toMatch(/^waypost_node_checks\{node="[^"]+:\d+"\} 1$/m);
    const passed = Number(
      /waypost_health_checks_total\{service="sagjan",result="passed"\} (\d+)/.exec(
        metrics.text,
      )?.[1],
    );
    expect(passed).toBeGreaterThan(0);
    // Requests no route matched count under an empty route label, as their own series.
    const notFound = Number(
      /waypost_gateway_requests_total\{route="",code="404"\} (\d+)/.exec(metrics.text)?.[1],
    );
    expect(notFound).toBeGreaterThanOrEqual(2);
    expect(metrics.text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(metrics.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });
});
