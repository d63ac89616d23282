import { sleep } from './helpers/fake-service';
import { REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

/**
 * Prometheus' consul_sd_config, replayed request by request over raw HTTP (Debian's Prometheus is
 * built without Consul discovery): agent/self, catalog/services blocking with `stale` and
 * `wait=120000ms`, then health/service per service with `tag`, then blocking with `index`. The
 * answers' JSON types are checked strictly, as Prometheus' Go decoder would.
 */
describe('Consul-compatible API as Prometheus discovers through it', () => {
  let wp: RunningWaypost;
  let root: string;
  const token = { 'x-consul-token': REGISTRATION_KEY };

  beforeAll(async () => {
    wp = await startWaypost({ CONSUL_PORT: '0', CONSUL_DATACENTER: 'eu1' });
    root = wp.consul as string;
  });
  afterAll(() => wp.cleanup());

  async function get(path: string) {
    const response = await fetch(`${root}${path}`, { headers: token });
    const index = Number(response.headers.get('x-consul-index'));
    return { status: response.status, index, body: (await response.json()) as unknown };
  }

  const register = (body: Record<string, unknown>) =>
    fetch(`${root}/v1/agent/service/register`, {
      method: 'PUT',
      headers: token,
      body: JSON.stringify(body),
    });

  it('serves the whole discovery sequence at the root of CONSUL_PORT', async () => {
    expect(
      (
        await register({
          Name: 'api',
          ID: 'api-1',
          Address: '10.0.0.1',
          Port: 9100,
          Tags: ['prod'],
          Meta: { team: 'x' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await register({
          Name: 'api',
          ID: 'api-2',
          Address: '10.0.0.2',
          Port: 9100,
          Tags: ['canary'],
        })
      ).status,
    ).toBe(200);

    const self = await get('/v1/agent/self');
    expect(self.body).toMatchObject({ Config: { Datacenter: 'eu1' } });

    const services = await get('/v1/catalog/services?stale=&wait=120000ms');
    expect(services.status).toBe(200);
    expect(services.index).toBeGreaterThan(0);
    expect(services.body).toEqual(expect.objectContaining({ api: ['canary', 'prod'] }));

    const health = await get('/v1/health/service/api?stale=&tag=prod&wait=120000ms');
    // The answer as Prometheus decodes it: any JSON, its fields' types checked one by one.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const entries = health.body as Record<string, any>[];
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(typeof entry.Node.Node).toBe('string');
    expect(typeof entry.Node.Address).toBe('string');
    expect(entry.Node.Datacenter).toBe('eu1');
    expect(entry.Service).toMatchObject({ ID: 'api-1', Service: 'api', Address: '10.0.0.1' });
    expect(Number.isInteger(entry.Service.Port)).toBe(true);
    expect(entry.Service.Tags).toEqual(['prod']);
    for (const value of Object.values(entry.Service.Meta)) expect(typeof value).toBe('string');
    expect(entry.Checks).toEqual([]);

    // Blocking on the catalog: a registration of another service wakes it, with a newer index.
    const parked = get(`/v1/catalog/services?index=${services.index}&stale=&wait=120000ms`);
    await sleep(200);
    await register({ Name: 'db', ID: 'db-1', Port: 5432 });
    const woken = await parked;
    expect(woken.index).toBeGreaterThan(services.index);
    expect(Object.keys(woken.body as object)).toEqual(expect.arrayContaining(['api', 'db']));

    // Blocking on one service: the other service's change does not wake it; its own does.
    const started = Date.now();
    const parkedHealth = get(`/v1/health/service/api?index=${health.index}&tag=prod&wait=1500ms`);
    await sleep(200);
    await register({ Name: 'db', ID: 'db-2', Port: 5433 });
    const timedOut = await parkedHealth;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(timedOut.index).toBe(health.index);
  });

  it('holds Consul registrations to REGISTRATION_ALLOW_FROM like every other registration', async () => {
    const fenced = await startWaypost({ REGISTRATION_ALLOW_FROM: '10.9.9.0/24' });
    try {
      const answer = await fetch(`${fenced.admin}/v1/agent/service/register`, {
        method: 'PUT',
        headers: token,
        body: JSON.stringify({ Name: 'fenced', Port: 1 }),
      });
      expect(answer.status).toBe(403);
      const list = await fetch(`${fenced.admin}/v1/catalog/service/fenced`, { headers: token });
      expect(await list.json()).toEqual([]);
    } finally {
      await fenced.cleanup();
    }
  });

  it('answers only /v1 there, and every read with an index even when it is empty or unknown', async () => {
    expect((await fetch(`${root}/health`)).status).toBe(404);
    const missing = await fetch(`${root}/v1/agent/service/deregister/nope`, {
      method: 'PUT',
      headers: token,
    });
    expect(missing.status).toBe(404);
    expect(Number(missing.headers.get('x-consul-index'))).toBeGreaterThan(0);
    expect(await missing.text()).toMatch(/Unknown service ID/);
    const leader = await get('/v1/status/leader');
    expect(typeof leader.body).toBe('string');
  });
});
