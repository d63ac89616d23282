import { aRegistration } from '../factories';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { bearer, call, send } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

const READ_KEY = 'explain-reader-key-0123456789';
const admin = bearer(ADMIN_KEY);

describe('GET /routes/explain', () => {
  let wp: RunningWaypost;
  const backends: EchoBackend[] = [];

  beforeAll(async () => {
    wp = await startWaypost(
      {},
      {
        apiKeys: [{ name: 'reader', key: READ_KEY, permissions: ['users:read'] }],
        services: { 'ex-secure': { permissions: ['users:read', 'users:write'] } },
      },
    );
    for (const name of ['a', 'b']) backends.push(await startEchoBackend(name));
    const register = (body: Record<string, unknown>) =>
      call('POST', `${wp.admin}/service`, { body, headers: bearer(REGISTRATION_KEY) });
    // Two UP instances (no check), a route of all methods and a POST-only one.
    for (const backend of backends) {
      await register(
        aRegistration({
          serviceType: 'ex-users',
          port: backend.port,
          routes: [{ path: '/users/*' }, { path: '/users/admin', method: 'POST' }],
        }),
      );
    }
    // A service whose only instance is never checked UP (nothing listens on port 9).
    await register(
      aRegistration({
        serviceType: 'ex-down',
        port: 9,
        healthCheck: { type: 'http' },
        routes: [{ path: '/down/*' }],
      }),
    );
    await register(
      aRegistration({
        serviceType: 'ex-secure',
        port: backends[0].port,
        routes: [
          { path: '/secure/*', permission: 'users:write' },
          { path: '/readable/*', permission: 'users:read', rate_limit: { requests_per_min: 1 } },
        ],
      }),
    );
  });
  afterAll(async () => {
    await wp.cleanup();
    await Promise.all(backends.map((b) => b.close()));
  });

  const explain = async (query: string, headers: Record<string, string> = {}) => {
    const answer = await call('GET', `${wp.admin}/routes/explain?${query}`, {
      headers: { ...admin, ...headers },
    });
    expect(answer.status).toBe(200);
    return answer.body;
  };

  it('names the winning route, the losers and why, and the instance the next request gets', async () => {
    const body = await explain('method=GET&host=api.example.com&path=/users/42');
    expect(body).toMatchObject({
      match: { path: '/users/*', service: 'ex-users' },
      target: { service: 'ex-users' },
      load_balancer: 'round_robin',
      answer: 200,
    });
    expect(body.instances).toHaveLength(2);
    expect(body.instances.every((i: { eligible: boolean }) => i.eligible)).toBe(true);
    // The next pick, twice the same (nothing moved), and then the gateway agrees.
    const again = await explain('method=GET&host=api.example.com&path=/users/42');
    expect(again.next).toBe(body.next);
    const next = body.instances.find((i: { id: string }) => i.id === body.next);
    const before = backends.map((b) => b.seen.length);
    expect((await send('GET', `${wp.gateway}/users/42`, { host: 'api.example.com' })).status).toBe(
      200,
    );
    const hit = backends.findIndex((b, i) => b.seen.length > before[i]);
    expect(backends[hit].url).toBe(next.url);
  });

  it('explains a method mismatch and a more specific route', async () => {
    const get = await explain('method=GET&host=x.example.com&path=/users/admin');
    expect(get.match.path).toBe('/users/*');
    expect(get.candidates).toContainEqual(
      expect.objectContaining({
        route: expect.objectContaining({ path: '/users/admin', methods: ['POST'] }),
        matches: false,
        why: 'method GET is not one of POST',
      }),
    );
    const post = await explain('method=POST&host=x.example.com&path=/users/admin');
    expect(post.match.path).toBe('/users/admin');
    expect(post.candidates).toContainEqual(
      expect.objectContaining({
        route: expect.objectContaining({ path: '/users/*' }),
        matches: true,
        why: expect.stringMatching(/^less specific than \*\/users\/admin/),
      }),
    );
  });

  it('answers 404 for a request no route matches', async () => {
    const body = await explain('method=GET&host=x.example.com&path=/nowhere');
    expect(body).toMatchObject({ match: null, answer: 404, next: null });
  });

  it('answers 503 for a service without an UP instance, saying why each is not eligible', async () => {
    const body = await explain('host=x.example.com&path=/down/1');
    expect(body.answer).toBe(503);
    expect(body.instances).toEqual([
      expect.objectContaining({ eligible: false, why: expect.stringMatching(/^(UNKNOWN|DOWN)/) }),
    ]);
    expect((await send('GET', `${wp.gateway}/down/1`, { host: 'x.example.com' })).status).toBe(503);
  });

  it('gives the permission verdict: 401 without a key, 403 with the wrong one, 200 with the right one', async () => {
    expect((await explain('host=x.example.com&path=/secure/1')).answer).toBe(401);
    const wrong = await explain('host=x.example.com&path=/secure/1', { 'x-api-key': READ_KEY });
    expect(wrong).toMatchObject({ answer: 403, permission: { required: 'users:write' } });
    const right = await explain('host=x.example.com&path=/readable/1', { 'x-api-key': READ_KEY });
    expect(right).toMatchObject({
      answer: 200,
      permission: { verdict: 'allowed for key reader' },
      rate_limit: { limit: 1, remaining: 1, allowed: true },
    });
  });

  it('sees the rate limit as it is, without taking from it', async () => {
    const query = 'host=x.example.com&path=/readable/2';
    const key = { 'x-api-key': READ_KEY };
    expect((await explain(query, key)).rate_limit.remaining).toBe(1);
    expect((await explain(query, key)).rate_limit.remaining).toBe(1);
    const through = await send('GET', `${wp.gateway}/readable/2`, {
      host: 'x.example.com',
      ...key,
    });
    expect(through.status).toBe(200);
    expect(await explain(query, key)).toMatchObject({
      answer: 429,
      rate_limit: { allowed: false },
    });
  });

  it('refuses bad input with 400 naming it, and callers without the admin key', async () => {
    for (const [query, field] of [
      ['host=x.example.com', /^path/],
      ['path=/a', /^host/],
      ['host=x.example.com&path=nope', /^path/],
      ['host=x.example.com&path=/a&method=BREW', /^method/],
    ] as const) {
      const answer = await call('GET', `${wp.admin}/routes/explain?${query}`, { headers: admin });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(field);
    }
    const anonymous = await call('GET', `${wp.admin}/routes/explain?host=a&path=/`);
    expect(anonymous.status).toBe(401);
  });
});
