import { aCompatRoute, aRegistration, aServiceRegistration } from '../factories';
import { bearer, call, instanceHeaders, JsonResponse } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

/**
 * Every call that changes state answers the state after the change: what it says is what a read
 * right after it says. Each answer is compared with that read, field by field.
 */
describe('what state-changing calls answer', () => {
  let wp: RunningWaypost;

  beforeAll(async () => {
    // A short ttl, so that a missed one happens within the test.
    wp = await startWaypost({ HEALTH_CHECK_INTERVAL: '250ms' });
  });
  afterAll(() => wp.cleanup());

  const admin = bearer(ADMIN_KEY);
  const read = async (id: string) =>
    (await call('GET', `${wp.admin}/service/${id}`, { headers: admin })).body;
  const register = (body: Record<string, unknown>) =>
    call('POST', `${wp.admin}/service`, { body, headers: bearer(REGISTRATION_KEY) });
  /** The instance fields of an answer (registration answers add serviceId, token and routes). */
  const instanceOf = (answer: JsonResponse) => {
    const { serviceId: _s, token: _t, routes: _r, ...instance } = answer.body;
    return instance;
  };
  async function waitForStatus(id: string, status: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if ((await read(id)).status === status) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`instance ${id} never became ${status}`);
  }

  it('POST /service answers the stored instance', async () => {
    const answer = await register(aRegistration({ serviceType: 'answers-a', port: 4101 }));
    expect(answer.status).toBe(201);
    expect(instanceOf(answer)).toEqual(await read(answer.body.serviceId));
  });

  it('PUT heartbeat on a DOWN ttl instance answers UP, and a read says UP', async () => {
    const registered = await register(
      aRegistration({
        serviceType: 'answers-ttl',
        port: 4102,
        healthCheck: { type: 'ttl', ttl: 300 },
      }),
    );
    const { serviceId: id, token } = registered.body;
    await waitForStatus(id, 'DOWN');
    const beat = await call('PUT', `${wp.admin}/service/${id}/heartbeat`, {
      headers: instanceHeaders(id, token),
    });
    expect(beat.status).toBe(200);
    expect(beat.body.status).toBe('UP');
    expect(beat.body.lastError).toBeNull();
    const after = await read(id);
    expect(after.status).toBe('UP');
    expect(beat.body).toEqual(after);
  });

  it('PATCH answers the drained, then undrained, instance', async () => {
    const { serviceId: id } = (
      await register(aRegistration({ serviceType: 'answers-b', port: 4103 }))
    ).body;
    const drain = await call('PATCH', `${wp.admin}/service/${id}`, {
      body: { status: 'MAINTENANCE', weight: 7, metadata: { release: 'r2' } },
      headers: admin,
    });
    expect(drain.status).toBe(200);
    expect(drain.body).toMatchObject({
      status: 'MAINTENANCE',
      weight: 7,
      metadata: { release: 'r2' },
    });
    expect(drain.body).toEqual(await read(id));
    const undrain = await call('PATCH', `${wp.admin}/service/${id}`, {
      body: { status: 'UP' },
      headers: admin,
    });
    // No check: UP at once.
    expect(undrain.body.status).toBe('UP');
    expect(undrain.body).toEqual(await read(id));
  });

  it('a re-registration answers the replaced record under the same id', async () => {
    const body = aRegistration({ serviceType: 'answers-c', port: 4104 });
    const first = await register(body);
    const again = await register({ ...body, tags: ['v2'] });
    expect(again.body.serviceId).toBe(first.body.serviceId);
    expect(again.body.token).not.toBe(first.body.token);
    expect(instanceOf(again)).toEqual(await read(first.body.serviceId));
  });

  it('DELETE answers what was removed; a read then finds nothing', async () => {
    const { serviceId: id } = (
      await register(aRegistration({ serviceType: 'answers-d', port: 4105 }))
    ).body;
    const removed = await call('DELETE', `${wp.admin}/service/${id}`, { headers: admin });
    expect(removed.body).toEqual({
      status: 'deregistered',
      serviceId: id,
      serviceType: 'answers-d',
    });
    expect((await call('GET', `${wp.admin}/service/${id}`, { headers: admin })).status).toBe(404);
  });

  it('/register, /deregister and /internal/register-service answer what /routes then lists', async () => {
    const key = bearer(REGISTRATION_KEY);
    const route = aCompatRoute({ host: 'answers.example.com', path: '/v9' });
    const added = await call('POST', `${wp.admin}/register`, { body: route, headers: key });
    expect(added.body).toMatchObject({ status: 'registered', ...route });
    const listed = async () =>
      (await call('GET', `${wp.admin}/routes`, { headers: key })).body.routes as {
        id?: string;
        host: string;
        path: string;
      }[];
    expect((await listed()).some((r) => r.host === route.host && r.path === route.path)).toBe(true);

    const service = await call('POST', `${wp.admin}/internal/register-service`, {
      body: aServiceRegistration({
        service: 'answers-e',
        routes: [{ method: 'GET', path: '/answers-e/*' }],
      }),
      headers: key,
    });
    expect(service.status).toBe(200);
    expect(await read(service.body.serviceId)).toMatchObject({
      serviceType: 'answers-e',
      url: 'http://127.0.0.1:7812',
    });
    const routes = await listed();
    for (const r of service.body.routes) expect(routes).toContainEqual(r);

    const gone = await call('POST', `${wp.admin}/deregister`, {
      body: { host: route.host, path: route.path },
      headers: key,
    });
    expect(gone.body).toEqual({ status: 'deregistered', host: route.host, path: route.path });
    expect((await listed()).some((r) => r.host === route.host && r.path === route.path)).toBe(
      false,
    );
  });
});
