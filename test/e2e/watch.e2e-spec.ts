import { EventSource } from 'eventsource';
import { WatchersService } from '../../src/watch/watchers.service';
import { aRegistration } from '../factories';
import { bearer, call } from './helpers/http';
import { SseReader } from './helpers/sse';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

const admin = bearer(ADMIN_KEY);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watching for changes', () => {
  let wp: RunningWaypost;
  const readers: SseReader[] = [];

  beforeAll(async () => {
    wp = await startWaypost({ MAX_WATCHERS: '20' });
  });
  afterEach(() => {
    for (const reader of readers.splice(0)) reader.close();
  });
  afterAll(() => wp.cleanup());

  const register = (body: Record<string, unknown>) =>
    call('POST', `${wp.admin}/service`, { body, headers: bearer(REGISTRATION_KEY) });
  const watch = async (service: string, headers: Record<string, string> = {}, query = '') => {
    const reader = new SseReader(`${wp.admin}/services/${service}/watch${query}`, {
      ...admin,
      ...headers,
    });
    readers.push(reader);
    await reader.opened();
    return reader;
  };
  const body = (event: { data: string }) =>
    JSON.parse(event.data) as { index: number; serviceType: string; instances: { port: number }[] };

  it('sends a snapshot, then one update per change of that service', async () => {
    await register(aRegistration({ serviceType: 'watch-a', port: 5101 }));
    const reader = await watch('watch-a');
    expect(reader.status).toBe(200);
    expect(reader.headers['content-type']).toMatch(/^text\/event-stream/);
    const snapshot = await reader.nth('snapshot');
    expect(body(snapshot)).toMatchObject({ serviceType: 'watch-a', instances: [{ port: 5101 }] });
    expect(snapshot.id).toBe(String(body(snapshot).index));
    expect(reader.headers['x-waypost-index']).toBe(snapshot.id);

    await register(aRegistration({ serviceType: 'watch-a', port: 5102 }));
    const update = await reader.nth('update');
    expect(
      body(update)
        .instances.map((i) => i.port)
        .sort(),
    ).toEqual([5101, 5102]);
    expect(Number(update.id)).toBeGreaterThan(Number(snapshot.id));
  });

  it('writes not one byte to a watcher when another service changes', async () => {
    const reader = await watch('watch-quiet');
    await reader.nth('snapshot');
    const before = reader.bytes;
    for (let i = 0; i < 5; i++)
      await register(aRegistration({ serviceType: 'watch-noisy', port: 5200 + i }));
    await pause(300);
    expect(reader.bytes).toBe(before);
    // and the quiet one still hears its own service
    await register(aRegistration({ serviceType: 'watch-quiet', port: 5210 }));
    expect(body(await reader.nth('update')).instances).toHaveLength(1);
  });

  it('keeps an idle stream open with a comment at least every 15 s, and no event', async () => {
    const reader = await watch('watch-idle');
    await reader.nth('snapshot');
    const [bytes, events] = [reader.bytes, reader.events.length];
    const deadline = Date.now() + 16_000;
    while (reader.bytes === bytes && Date.now() < deadline) await pause(100);
    expect(reader.bytes).toBeGreaterThan(bytes);
    expect(reader.events).toHaveLength(events);
    expect(reader.ended).toBe(false);
  }, 20_000);

  it('answers an unknown service with an empty snapshot, not an error', async () => {
    const reader = await watch('watch-nobody-yet');
    expect(body(await reader.nth('snapshot'))).toEqual({
      index: 0,
      serviceType: 'watch-nobody-yet',
      instances: [],
    });
  });

  it('resumes with Last-Event-ID: nothing while current, a fresh snapshot after missed changes', async () => {
    await register(aRegistration({ serviceType: 'watch-r', port: 5301 }));
    const first = await watch('watch-r');
    const seen = (await first.nth('snapshot')).id as string;
    first.close();

    const current = await watch('watch-r', { 'last-event-id': seen });
    await pause(200);
    expect(current.events).toEqual([]);
    expect(current.bytes).toBeGreaterThan(0); // the keep-alive comment, and nothing else
    current.close();

    await register(aRegistration({ serviceType: 'watch-r', port: 5302 })); // missed
    const behind = await watch('watch-r', { 'last-event-id': seen });
    const snapshot = await behind.nth('snapshot');
    expect(body(snapshot).instances).toHaveLength(2);
    expect(Number(snapshot.id)).toBeGreaterThan(Number(seen));
  });

  it('applies the list filters to the stream', async () => {
    await register(aRegistration({ serviceType: 'watch-f', port: 5401, tags: ['blue'] }));
    await register(aRegistration({ serviceType: 'watch-f', port: 5402, tags: ['green'] }));
    const reader = await watch('watch-f', {}, '?tag=blue');
    expect(body(await reader.nth('snapshot')).instances.map((i) => i.port)).toEqual([5401]);
  });

  it('refuses bad input with 400 naming it, and callers without credentials with 401', async () => {
    const status = async (path: string, headers: Record<string, string> = admin) =>
      (await call('GET', `${wp.admin}${path}`, { headers })).status;
    const lastEventId = await call('GET', `${wp.admin}/services/watch-a/watch`, {
      headers: { ...admin, 'last-event-id': 'yesterday' },
    });
    expect(lastEventId.status).toBe(400);
    expect(lastEventId.body.message).toMatch(/Last-Event-ID/);
    expect(await status('/services/watch-a/watch?status=SLEEPY')).toBe(400);
    expect(await status('/services/bad%20type/watch')).toBe(400);
    expect(await status('/services/watch-a/watch', {})).toBe(401);
  });

  it('refuses watchers above MAX_WATCHERS with 503', async () => {
    const held: SseReader[] = [];
    for (let i = 0; i < 20; i++) held.push(await watch('watch-many'));
    const over = await call('GET', `${wp.admin}/services/watch-many/watch`, { headers: admin });
    expect(over.status).toBe(503);
    expect(over.body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
    for (const reader of held) reader.close();
    await pause(100);
    expect(wp.app.admin.get(WatchersService).count).toBe(0);
  });

  it('disconnects a watcher that stops reading once its backlog passes the bound', async () => {
    const metadata = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`key${i}`, 'v'.repeat(60)]),
    );
    for (let i = 0; i < 60; i++)
      await register(aRegistration({ serviceType: 'watch-slow', port: 5500 + i, metadata }));
    const slow = new SseReader(`${wp.admin}/services/watch-slow/watch`, admin, false);
    readers.push(slow);
    await slow.opened();
    const watchers = wp.app.admin.get(WatchersService);
    expect(watchers.count).toBe(1);
    // Each update carries the whole list (~300 KB): the loopback buffers fill, then the backlog.
    for (let i = 0; i < 120 && watchers.count > 0; i++) {
      await call('PATCH', `${wp.admin}/service/${await idOf('watch-slow')}`, {
        body: { weight: (i % 100) + 1 },
        headers: admin,
      });
    }
    expect(watchers.count).toBe(0);
  });

  async function idOf(service: string): Promise<string> {
    const list = await call('GET', `${wp.admin}/services/${service}`, { headers: admin });
    return list.body.instances[0].id;
  }

  it('works with a real EventSource client', async () => {
    await register(aRegistration({ serviceType: 'watch-es', port: 5601 }));
    const source = new EventSource(`${wp.admin}/services/watch-es/watch`, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as object), ...admin } }),
    });
    try {
      const received: string[] = [];
      const got = (name: string) =>
        new Promise<MessageEvent>((resolve) =>
          source.addEventListener(name, (event) => {
            received.push(name);
            resolve(event as MessageEvent);
          }),
        );
      const snapshot = await got('snapshot');
      expect(JSON.parse(snapshot.data).instances).toHaveLength(1);
      const update = got('update');
      await register(aRegistration({ serviceType: 'watch-es', port: 5602 }));
      const event = await update;
      expect(JSON.parse(event.data).instances).toHaveLength(2);
      expect(Number(event.lastEventId)).toBeGreaterThan(Number(snapshot.lastEventId));
    } finally {
      source.close();
    }
  });
});

describe('long-poll and X-Waypost-Index', () => {
  let wp: RunningWaypost;

  beforeAll(async () => {
    wp = await startWaypost();
  });
  afterAll(() => wp.cleanup());

  const register = (body: Record<string, unknown>) =>
    call('POST', `${wp.admin}/service`, { body, headers: bearer(REGISTRATION_KEY) });
  const list = (service: string, query = '') =>
    call('GET', `${wp.admin}/services/${service}${query}`, { headers: admin });

  it("carries the index of the service's last change on every discovery answer", async () => {
    expect((await list('lp-none')).headers.get('x-waypost-index')).toBe('0');
    await register(aRegistration({ serviceType: 'lp-a', port: 6101 }));
    const first = Number((await list('lp-a')).headers.get('x-waypost-index'));
    expect(first).toBeGreaterThan(0);
    await register(aRegistration({ serviceType: 'lp-other', port: 6102 }));
    expect(Number((await list('lp-a')).headers.get('x-waypost-index'))).toBe(first);
    await register(aRegistration({ serviceType: 'lp-a', port: 6103 }));
    expect(Number((await list('lp-a')).headers.get('x-waypost-index'))).toBeGreaterThan(first);
  });

  it('answers at once when the service changed after index, else when it changes', async () => {
    await register(aRegistration({ serviceType: 'lp-b', port: 6201 }));
    const index = Number((await list('lp-b')).headers.get('x-waypost-index'));
    const atOnce = await list('lp-b', `?index=${index - 1}&wait=5s`);
    expect(atOnce.body.instances).toHaveLength(1);

    const started = Date.now();
    const waiting = list('lp-b', `?index=${index}&wait=10s`);
    await pause(200);
    await register(aRegistration({ serviceType: 'lp-other', port: 6202 })); // not lp-b: no wake-up
    await pause(200);
    await register(aRegistration({ serviceType: 'lp-b', port: 6203 }));
    const answer = await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer.body.instances).toHaveLength(2);
    expect(Number(answer.headers.get('x-waypost-index'))).toBeGreaterThan(index);
  });

  it('answers unchanged when wait runs out', async () => {
    await register(aRegistration({ serviceType: 'lp-c', port: 6301 }));
    const index = (await list('lp-c')).headers.get('x-waypost-index');
    const started = Date.now();
    const answer = await list('lp-c', `?index=${index}&wait=300ms`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-waypost-index')).toBe(index);
  });

  it('refuses a bad index or wait with 400 naming it', async () => {
    for (const [query, field] of [
      ['?index=-1', /^index/],
      ['?index=abc', /^index/],
      ['?index=1&wait=10m', /^wait/],
      ['?index=1&wait=soon', /^wait/],
    ] as const) {
      const answer = await list('lp-a', query);
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(field);
    }
  });
});

describe('the index across restarts', () => {
  it('keeps increasing on the same DATA_DIR, and a watcher resumes where it was', async () => {
    const first = await startWaypost({ STORE: 'sqlite' });
    await call('POST', `${first.admin}/service`, {
      body: aRegistration({ serviceType: 'kept-watch', port: 6401 }),
      headers: bearer(REGISTRATION_KEY),
    });
    const reader = new SseReader(`${first.admin}/services/kept-watch/watch`, admin);
    await reader.opened();
    const seen = (await reader.nth('snapshot')).id as string;
    reader.close();
    await first.close();

    const second = await startWaypost({ STORE: 'sqlite', DATA_DIR: first.dataDir });
    try {
      const resumed = new SseReader(`${second.admin}/services/kept-watch/watch`, {
        ...admin,
        'last-event-id': seen,
      });
      await resumed.opened();
      await pause(200);
      expect(resumed.events).toEqual([]); // current across the restart
      await call('POST', `${second.admin}/service`, {
        body: aRegistration({ serviceType: 'kept-watch', port: 6402 }),
        headers: bearer(REGISTRATION_KEY),
      });
      const update = await resumed.nth('update');
      expect(Number(update.id)).toBeGreaterThan(Number(seen));
      resumed.close();
      // /events holds every change since the restart: from the last index before it, a replay;
      // from an older one (a change before the restart), a reset
      const replay = new SseReader(`${second.admin}/events`, { ...admin, 'last-event-id': seen });
      await replay.opened();
      expect((await replay.nth('instanceRegistered')).id).toBe(update.id);
      replay.close();
      const older = String(Number(seen) - 1);
      const reset = new SseReader(`${second.admin}/events`, { ...admin, 'last-event-id': older });
      await reset.opened();
      expect(JSON.parse((await reset.nth('reset')).data).index).toBe(Number(update.id));
      reset.close();
    } finally {
      await second.cleanup();
    }
  });
});
