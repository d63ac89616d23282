import { aCompatRoute, aRegistration, aServiceRegistration } from '../factories';
import { bearer, call } from './helpers/http';
import { REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

describe('network policy', () => {
  const running: RunningWaypost[] = [];
  const start = async (env: Record<string, string>) => {
    const wp = await startWaypost(env);
    running.push(wp);
    return wp;
  };
  afterAll(() => Promise.all(running.map((wp) => wp.cleanup())));

  it('lets callers inside TRUSTED_NETWORKS use the compatibility endpoints without a key', async () => {
    const wp = await start({ TRUSTED_NETWORKS: '127.0.0.1/32' });
    expect((await call('POST', `${wp.admin}/register`, { body: aCompatRoute() })).status).toBe(200);
    expect((await call('GET', `${wp.admin}/routes`)).status).toBe(200);
    expect(
      (
        await call('POST', `${wp.admin}/internal/register-service`, {
          body: aServiceRegistration({ routes: [] }),
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('POST', `${wp.admin}/deregister`, {
          body: { host: 'api.example.com', path: '/v2' },
        })
      ).status,
    ).toBe(200);
    // The native API always wants the key.
    expect((await call('POST', `${wp.admin}/service`, { body: aRegistration() })).status).toBe(401);
  });

  it('answers 401 to keyless callers outside TRUSTED_NETWORKS', async () => {
    const wp = await start({ TRUSTED_NETWORKS: '10.0.0.0/8' });
    expect((await call('POST', `${wp.admin}/register`, { body: aCompatRoute() })).status).toBe(401);
    expect((await call('GET', `${wp.admin}/routes`)).body.total).toBeUndefined();
  });

  it('matches IPv6 and IPv4-mapped callers on a dual-stack listener', async () => {
    const wp = await start({ HOST: '::', TRUSTED_NETWORKS: '::1/128' });
    const port = new URL(wp.admin).port;
    expect((await call('GET', `http://[::1]:${port}/routes`)).status).toBe(200);
    // 127.0.0.1 arrives as ::ffff:127.0.0.1 and is not ::1.
    expect((await call('GET', `http://127.0.0.1:${port}/routes`)).status).toBe(401);

    const mapped = await start({ HOST: '::', TRUSTED_NETWORKS: '127.0.0.0/8' });
    const mappedPort = new URL(mapped.admin).port;
    expect((await call('GET', `http://127.0.0.1:${mappedPort}/routes`)).status).toBe(200);
  });

  it('refuses registration from outside REGISTRATION_ALLOW_FROM with 403, key or not', async () => {
    const wp = await start({
      REGISTRATION_ALLOW_FROM: '10.0.0.0/8',
      TRUSTED_NETWORKS: '127.0.0.1/32',
    });
    const withKey = await call('POST', `${wp.admin}/service`, {
      body: aRegistration(),
      headers: bearer(REGISTRATION_KEY),
    });
    expect(withKey.status).toBe(403);
    expect(withKey.body).toMatchObject({ statusCode: 403, error: 'forbidden' });
    expect((await call('POST', `${wp.admin}/service`, { body: aRegistration() })).status).toBe(403);
    expect((await call('POST', `${wp.admin}/register`, { body: aCompatRoute() })).status).toBe(403);
    expect(
      (
        await call('POST', `${wp.admin}/internal/register-service`, {
          body: aServiceRegistration(),
        })
      ).status,
    ).toBe(403);
    expect((await call('GET', `${wp.admin}/routes`)).body.total).toBe(0);
  });

  it('answers 429 with Retry-After past REGISTRATION_RATE_LIMIT, counting every attempt', async () => {
    const wp = await start({ REGISTRATION_RATE_LIMIT: '3' });
    const statuses: number[] = [];
    statuses.push(
      (
        await call('POST', `${wp.admin}/service`, {
          body: aRegistration({ port: 1 }),
          headers: bearer('wrong-wrong-wrong-wrong'),
        })
      ).status,
    );
    statuses.push(
      (
        await call('POST', `${wp.admin}/service`, {
          body: aRegistration({ port: 2 }),
          headers: bearer(REGISTRATION_KEY),
        })
      ).status,
    );
    statuses.push(
      (
        await call('POST', `${wp.admin}/register`, {
          body: aCompatRoute(),
          headers: bearer(REGISTRATION_KEY),
        })
      ).status,
    );
    const limited = await call('POST', `${wp.admin}/service`, {
      body: aRegistration({ port: 3 }),
      headers: bearer(REGISTRATION_KEY),
    });
    expect(statuses).toEqual([401, 201, 200]);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'too many requests' });
    const summary = await call('GET', `${wp.admin}/routes`, { headers: bearer(REGISTRATION_KEY) });
    expect(summary.body.total).toBe(1);
  });
});
