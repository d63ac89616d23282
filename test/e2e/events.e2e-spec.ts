import { aCompatRoute, aRegistration } from '../factories';
import { startFakeService } from './helpers/fake-service';
import { bearer, call, instanceHeaders, send } from './helpers/http';
import { SseReader } from './helpers/sse';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

const admin = bearer(ADMIN_KEY);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAST = {
  HEALTH_CHECK_INTERVAL: '200ms',
  HEALTH_CHECK_TIMEOUT: '150ms',
  DOWN_CHECK_INTERVAL: '100ms',
  UNHEALTHY_THRESHOLD: '1',
  HEALTHY_THRESHOLD: '1',
};

describe('GET /events and instance history', () => {
  let wp: RunningWaypost;
  const readers: SseReader[] = [];

  beforeAll(async () => {
    wp = await startWaypost(FAST);
  });
  afterEach(() => {
    for (const reader of readers.splice(0)) reader.close();
  });
  afterAll(() => wp.cleanup());

  const register = async (body: Record<string, unknown>) =>
    (await call('POST', `${wp.admin}/service`, { body, headers: bearer(REGISTRATION_KEY) })).body;
  const events = async (headers: Record<string, string> = {}, query = '') => {
    const reader = new SseReader(`${wp.admin}/events${query}`, { ...admin, ...headers });
    readers.push(reader);
    await reader.opened();
    return reader;
  };
  const data = (event: { data: string }) => JSON.parse(event.data);
  const history = async (id: string) =>
    (await call('GET', `${wp.admin}/service/${id}/history`, { headers: admin })).body.history as {
      from: string;
      to: string;
      reason: string;
      detail: string | null;
    }[];
  async function waitFor(check: () => Promise<boolean>, ms = 3_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await pause(25);
    }
  }

  it('streams every change with its index: registrations, status changes, removals, routes', async () => {
    const reader = await events();
    const instance = await register(aRegistration({ serviceType: 'ev-a', port: 7101 }));
    const registered = await reader.nth('instanceRegistered');
    expect(data(registered)).toMatchObject({
      instance: { id: instance.serviceId, serviceType: 'ev-a' },
    });
    expect(registered.id).toBe(String(data(registered).index));

    await call('PATCH', `${wp.admin}/service/${instance.serviceId}`, {
      body: { status: 'MAINTENANCE' },
      headers: admin,
    });
    expect(data(await reader.nth('instanceStatusChanged'))).toMatchObject({
      instance: { id: instance.serviceId },
      from: 'UP',
      to: 'MAINTENANCE',
      reason: 'operator',
    });
    await call('POST', `${wp.admin}/register`, {
      body: aCompatRoute({ host: 'ev.example.com', path: '/ev' }),
      headers: bearer(REGISTRATION_KEY),
    });
    expect(data(await reader.nth('routeAdded'))).toMatchObject({
      route: { host: 'ev.example.com', path: '/ev' },
    });
    await call('DELETE', `${wp.admin}/service/${instance.serviceId}`, { headers: admin });
    const removed = await reader.nth('instanceRemoved');
    expect(data(removed)).toMatchObject({ reason: 'deregistration' });
    const ids = reader.events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // check results only when asked for
    expect(reader.events.some((e) => e.event.startsWith('healthCheck'))).toBe(false);
  });

  it('replays what it holds after Last-Event-ID, and answers reset when it cannot', async () => {
    const first = await events();
    const a = await register(aRegistration({ serviceType: 'ev-r', port: 7201 }));
    const seen = (await first.nth('instanceRegistered')).id as string;
    first.close();
    await register(aRegistration({ serviceType: 'ev-r', port: 7202 }));
    await call('DELETE', `${wp.admin}/service/${a.serviceId}`, { headers: admin });

    const resumed = await events({ 'last-event-id': seen });
    await resumed.nth('instanceRemoved');
    expect(resumed.events.map((e) => e.event)).toEqual(['instanceRegistered', 'instanceRemoved']);
    expect(resumed.events.every((e) => Number(e.id) > Number(seen))).toBe(true);
    // Written to the journal while no one read along: their data is written at the replay.
    const [registered, removed] = resumed.events;
    expect(data(registered)).toMatchObject({
      index: Number(registered.id),
      instance: { serviceType: 'ev-r', port: 7202, status: 'UP' },
    });
    expect(data(removed)).toMatchObject({
      index: Number(removed.id),
      instance: { id: a.serviceId, port: 7201 },
      reason: 'deregistration',
    });

    const future = await events({ 'last-event-id': '999999999' });
    const reset = await future.nth('reset');
    expect(Number(data(reset).index)).toBeLessThan(999999999);
  });

  it('adds check results with checks=true, and refuses what is not a boolean', async () => {
    const reader = await events({}, '?checks=true');
    await register(
      aRegistration({ serviceType: 'ev-ttl', port: 7301, healthCheck: { type: 'ttl', ttl: 250 } }),
    );
    expect(data(await reader.nth('healthCheckFailed'))).toMatchObject({
      reason: 'ttl',
      error: 'no heartbeat within 250ms',
    });
    expect((await call('GET', `${wp.admin}/events?checks=maybe`, { headers: admin })).status).toBe(
      400,
    );
  });

  it("is the admin's: instances and callers without a key are refused", async () => {
    const instance = await register(aRegistration({ serviceType: 'ev-auth', port: 7401 }));
    const headers = instanceHeaders(instance.serviceId, instance.token);
    expect((await call('GET', `${wp.admin}/events`, { headers })).status).toBe(401);
    expect((await call('GET', `${wp.admin}/events`)).status).toBe(401);
    expect(
      (await call('GET', `${wp.admin}/events`, { headers: { ...admin, 'last-event-id': 'x' } }))
        .status,
    ).toBe(400);
  });

  it("keeps each instance's status changes and failed checks, with the reason and the error", async () => {
    const service = await startFakeService();
    try {
      // check: the probe fails, then passes
      const checked = await register(
        aRegistration({ serviceType: 'ev-h', port: service.port, healthCheck: { type: 'http' } }),
      );
      await waitFor(async () => (await history(checked.serviceId)).some((e) => e.to === 'UP'));
      service.mode = 'fail';
      await waitFor(async () => (await history(checked.serviceId)).some((e) => e.to === 'DOWN'));
      service.mode = 'ok';
      await waitFor(async () => (await history(checked.serviceId))[0]?.to === 'UP');
      const lines = await history(checked.serviceId);
      // The status change, not a failed check while DOWN (a DOWN -> DOWN line) that may follow it.
      const down = lines.find((e) => e.to === 'DOWN' && e.from !== 'DOWN');
      for (const failed of lines.filter((e) => e.from === e.to))
        expect(failed).toMatchObject({
          to: 'DOWN',
          reason: 'check',
          detail: expect.stringMatching(/503/),
        });
      expect(down).toMatchObject({
        from: 'UP',
        reason: 'check',
        detail: expect.stringMatching(/503/),
      });
      expect(lines[0]).toMatchObject({ from: 'DOWN', to: 'UP', reason: 'check', detail: null });

      // ttl then heartbeat, operator
      const ttl = await register(
        aRegistration({ serviceType: 'ev-h2', port: 7502, healthCheck: { type: 'ttl', ttl: 200 } }),
      );
      await waitFor(async () => (await history(ttl.serviceId)).some((e) => e.reason === 'ttl'));
      await call('PUT', `${wp.admin}/service/${ttl.serviceId}/heartbeat`, {
        headers: instanceHeaders(ttl.serviceId, ttl.token),
      });
      await call('PATCH', `${wp.admin}/service/${ttl.serviceId}`, {
        body: { status: 'MAINTENANCE' },
        headers: admin,
      });
      const ttlLines = await history(ttl.serviceId);
      expect(ttlLines.slice(0, 3)).toEqual([
        expect.objectContaining({ from: 'UP', to: 'MAINTENANCE', reason: 'operator' }),
        expect.objectContaining({ from: 'DOWN', to: 'UP', reason: 'heartbeat', detail: null }),
        expect.objectContaining({ to: 'DOWN', reason: 'ttl', detail: 'no heartbeat within 200ms' }),
      ]);
    } finally {
      await service.close();
    }
  });

  it("records live traffic that could not reach an instance, with the gateway's error", async () => {
    const service = await startFakeService();
    const instance = await register(
      aRegistration({
        serviceType: 'ev-traffic',
        port: service.port,
        healthCheck: { type: 'http', interval: 60_000 },
        routes: [{ path: '/ev-traffic/*' }],
      }),
    );
    await waitFor(async () => (await history(instance.serviceId)).some((e) => e.to === 'UP'));
    await service.close(); // now refused
    const answer = await send('GET', `${wp.gateway}/ev-traffic/1`);
    expect(answer.status).toBe(502);
    // Later failures (a probe, another request) may already follow it: find the status change.
    const isTraffic = (line: { from: string; reason: string }) =>
      line.reason === 'traffic' && line.from === 'UP';
    await waitFor(async () => (await history(instance.serviceId)).some(isTraffic));
    const lines = await history(instance.serviceId);
    expect(lines.find(isTraffic)).toMatchObject({
      from: 'UP',
      to: 'DOWN',
      detail: 'live traffic: ECONNREFUSED',
    });
  });

  it('answers 404 for the history of an unknown instance', async () => {
    const answer = await call('GET', `${wp.admin}/service/nope/history`, { headers: admin });
    expect(answer.status).toBe(404);
  });

  it('announces an instance DEREGISTER_AFTER removed, with that reason', async () => {
    const other = await startWaypost({ ...FAST, DEREGISTER_AFTER: '1s' });
    try {
      const reader = new SseReader(`${other.admin}/events`, admin);
      readers.push(reader);
      await reader.opened();
      await call('POST', `${other.admin}/service`, {
        body: aRegistration({ serviceType: 'ev-gone', port: 9, healthCheck: { type: 'tcp' } }),
        headers: bearer(REGISTRATION_KEY),
      });
      expect(data(await reader.nth('instanceStatusChanged'))).toMatchObject({
        to: 'DOWN',
        reason: 'check',
      });
      expect(data(await reader.nth('instanceRemoved', 1, 5_000))).toMatchObject({
        instance: { serviceType: 'ev-gone' },
        reason: 'deregister_after',
      });
    } finally {
      await other.cleanup();
    }
  });
});
