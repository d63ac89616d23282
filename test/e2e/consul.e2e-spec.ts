import Consul from 'consul';
import { startFakeService, sleep, waitFor } from './helpers/fake-service';
import { bearer, call } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

/** Consul's own npm client (2.x), unchanged, against Waypost's `/v1` on the admin port. */
describe('Consul-compatible API with the npm consul client', () => {
  let wp: RunningWaypost;
  let consul: Consul;

  beforeAll(async () => {
    wp = await startWaypost({ HEALTH_CHECK_INTERVAL: '200ms', UNHEALTHY_THRESHOLD: '1' });
    const { hostname, port } = new URL(wp.admin);
    consul = new Consul({
      host: hostname,
      port: Number(port),
      defaults: { token: REGISTRATION_KEY },
    });
  });
  afterAll(() => wp.cleanup());

  it('registers with an HTTP check, which passes, and shows it in catalog and health alike', async () => {
    const service = await startFakeService();
    try {
      await consul.agent.service.register({
        name: 'c-web',
        id: 'c-web-1',
        address: '127.0.0.1',
        port: service.port,
        tags: ['v1', 'blue'],
        meta: { commit: 'abc' },
        check: { name: 'web', http: `${service.url}/health`, interval: '200ms', timeout: '1s' },
      });
      const passing = await waitFor(async () => {
        const entries = await consul.health.service({ service: 'c-web', passing: true });
        return entries.length === 1 ? entries : null;
      });
      expect(passing[0]).toMatchObject({
        Service: {
          ID: 'c-web-1',
          Service: 'c-web',
          Port: service.port,
          Tags: ['v1', 'blue'],
          Meta: { commit: 'abc' },
        },
        Checks: [{ CheckID: 'service:c-web-1', Status: 'passing', ServiceID: 'c-web-1' }],
      });
      const catalog = await consul.catalog.service.nodes('c-web');
      expect(catalog.map((entry: { ServiceID: string }) => entry.ServiceID)).toEqual(['c-web-1']);
      expect(await consul.catalog.service.list()).toMatchObject({ 'c-web': ['blue', 'v1'] });
      expect(Object.keys(await consul.agent.service.list())).toContain('c-web-1');
      // The native API sees the same instance, with its checks.
      const native = await call('GET', `${wp.admin}/service/c-web-1`, {
        headers: bearer(ADMIN_KEY),
      });
      expect(native.body).toMatchObject({
        status: 'UP',
        checks: [{ id: 'service:c-web-1', type: 'http', status: 'passing' }],
      });
    } finally {
      await service.close();
    }
  });

  it('is UP only while both TTL checks pass, renewed by check pass, warn and fail', async () => {
    await consul.agent.service.register({
      name: 'c-ttl',
      id: 'c-ttl-1',
      port: 4000,
      checks: [
        { checkid: 'c-ttl-a', name: 'a', ttl: '30s', timeout: '1s' },
        { checkid: 'c-ttl-b', name: 'b', ttl: '30s', timeout: '1s' },
      ],
    });
    const statuses = async () =>
      (await consul.health.checks('c-ttl')).map(
        (c: { CheckID: string; Status: string }) => `${c.CheckID}=${c.Status}`,
      );
    expect(await statuses()).toEqual(['c-ttl-a=critical', 'c-ttl-b=critical']);
    await consul.agent.check.pass('c-ttl-a');
    expect(await consul.health.service({ service: 'c-ttl', passing: true })).toEqual([]);
    await consul.agent.check.pass({ id: 'c-ttl-b', note: 'all good' });
    expect(await consul.health.service({ service: 'c-ttl', passing: true })).toHaveLength(1);
    await consul.agent.check.warn({ id: 'c-ttl-b', note: 'disk 91%' });
    expect(await statuses()).toEqual(['c-ttl-a=passing', 'c-ttl-b=warning']);
    expect(await consul.health.service({ service: 'c-ttl', passing: true })).toEqual([]);
    await consul.agent.check.fail('c-ttl-a');
    const [entry] = await consul.health.service('c-ttl');
    expect(entry.Checks.find((c: { CheckID: string }) => c.CheckID === 'c-ttl-b')).toMatchObject({
      Status: 'warning',
      Output: 'disk 91%',
    });
  });

  it('wakes a health watch on a change of its service, and not for another', async () => {
    await consul.agent.service.register({
      name: 'c-watch',
      id: 'c-watch-1',
      port: 4001,
      check: { name: 'watch', ttl: '30s', checkid: 'c-watch-ttl', timeout: '1s' },
    });
    const { headers } = await call(
      'GET',
      `${wp.admin}/v1/health/service/c-watch?token=${REGISTRATION_KEY}`,
    );
    const index = Number(headers.get('x-consul-index'));
    expect(index).toBeGreaterThan(0);
    const started = Date.now();
    const parked = call(
      'GET',
      `${wp.admin}/v1/health/service/c-watch?index=${index}&wait=3s&token=${REGISTRATION_KEY}`,
    );
    await sleep(300);
    await consul.agent.service.register({ name: 'c-other', id: 'c-other-1', port: 4002 });
    await sleep(300);
    const changedAt = Date.now();
    await consul.agent.check.pass('c-watch-ttl');
    const answer = await parked;
    expect(Date.now() - changedAt).toBeLessThan(1_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(Number(answer.headers.get('x-consul-index'))).toBeGreaterThan(index);
    expect(answer.body[0].Checks[0].Status).toBe('passing');

    // The client's own watch follows the same index.
    const watch = consul.watch({
      method: consul.health.service,
      options: { service: 'c-watch', wait: '2s' },
    });
    const changes: unknown[][] = [];
    watch.on('change', (data: unknown[]) => changes.push(data));
    watch.on('error', () => {});
    try {
      await waitFor(() => changes.length >= 1);
      await consul.agent.service.maintenance({ id: 'c-watch-1', enable: true, reason: 'deploy' });
      const drained = (await waitFor(() => changes[1])) as {
        Checks: { CheckID: string; Status: string }[];
      }[];
      expect(drained[0]?.Checks.map((c) => c.CheckID)).toContain('_service_maintenance:c-watch-1');
      const native = await consul.health.service({ service: 'c-watch', passing: true });
      expect(native).toEqual([]);
      await consul.agent.service.maintenance({ id: 'c-watch-1', enable: false });
    } finally {
      watch.end();
    }
  });

  it('removes an instance critical for its DeregisterCriticalServiceAfter', async () => {
    await consul.agent.service.register({
      name: 'c-reap',
      id: 'c-reap-1',
      port: 4004,
      check: {
        name: 'reap',
        ttl: '200ms',
        timeout: '1s',
        deregistercriticalserviceafter: '300ms',
      },
    });
    await consul.agent.check.pass('service:c-reap-1');
    expect(await consul.catalog.service.nodes('c-reap')).toHaveLength(1);
    // No more passes: the ttl runs out, the instance is DOWN, and 300 ms later it is gone.
    await waitFor(async () => (await consul.catalog.service.nodes('c-reap')).length === 0, 5_000);
  });

  it('deregisters, after which the service is an empty list, never a 404', async () => {
    await consul.agent.service.register({ name: 'c-gone', id: 'c-gone-1', port: 4003 });
    expect(await consul.catalog.service.nodes('c-gone')).toHaveLength(1);
    await consul.agent.service.deregister('c-gone-1');
    expect(await consul.catalog.service.nodes('c-gone')).toEqual([]);
    const unknown = await call(
      'GET',
      `${wp.admin}/v1/health/service/never-was?token=${REGISTRATION_KEY}`,
    );
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual([]);
    expect(Number(unknown.headers.get('x-consul-index'))).toBeGreaterThan(0);
  });

  it('refuses a wrong token with 403 and bad input with a plain-text 400, registering nothing', async () => {
    const wrong = new Consul({
      host: new URL(wp.admin).hostname,
      port: Number(new URL(wp.admin).port),
      defaults: { token: 'nope' },
    });
    await expect(wrong.agent.service.list()).rejects.toMatchObject({
      response: { statusCode: 403 },
    });
    const bad = await fetch(`${wp.admin}/v1/agent/service/register?token=${REGISTRATION_KEY}`, {
      method: 'PUT',
      body: JSON.stringify({ Name: 'c-bad', Check: { Script: '/bin/true', Interval: '10s' } }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await bad.text()).toMatch(/only HTTP, TCP and TTL checks/);
    expect(await consul.catalog.service.nodes('c-bad')).toEqual([]);
    const unreadable = await fetch(
      `${wp.admin}/v1/agent/service/register?token=${REGISTRATION_KEY}`,
      {
        method: 'PUT',
        body: '{"Name": ',
      },
    );
    expect(unreadable.status).toBe(400);
    expect(await unreadable.text()).toMatch(/^Request decode failed/);
    expect(await unreadable.text().catch(() => '')).not.toContain(REGISTRATION_KEY);
  });
});
