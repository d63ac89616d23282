import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aRegistration, aServiceRegistration } from '../factories';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { bearer, call, instanceHeaders, send } from './helpers/http';
import { kill, spawnWaypost, WaypostProcess } from './helpers/waypost-process';

const REGISTRATION_KEY = 'logs-registration-key-0123456789';
const ADMIN_KEY = 'logs-admin-key-0123456789abcdef';
const METRICS_TOKEN = 'logs-metrics-token-0123456789';
const API_KEY = 'logs-client-api-key-0123456789';
/** Presented by callers who got them wrong: a wrong key is a secret of its caller's too. */
const WRONG = ['wrong-admin-key-0123456789', 'wrong-token-0123456789', 'wrong-api-key-0123456789'];
const IN_QUERY = 'query-secret-0123456789';

/**
 * The whole flow of a day, run against the built Waypost at LOG_LEVEL=debug with ACCESS_LOG on:
 * every line it prints is a JSON object, lines about a request carry its reqId, and not one key
 * or token (given, generated for an instance, or presented wrongly) appears anywhere in them.
 */
describe('structured logs without secrets', () => {
  let dir: string;
  let echo: EchoBackend;
  let wp: WaypostProcess;
  const secrets = [REGISTRATION_KEY, ADMIN_KEY, METRICS_TOKEN, API_KEY, IN_QUERY, ...WRONG];
  let lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'waypost-logs-'));
    echo = await startEchoBackend('echo');
    writeFileSync(
      join(dir, 'waypost.yaml'),
      [
        'routes:',
        '  - path: /keyed',
        `    backend: ${echo.url}`,
        '    permission: echo:read',
        'apiKeys:',
        '  - name: web',
        `    key: ${API_KEY}`,
        '    permissions: [echo:read]',
      ].join('\n'),
    );
    wp = await spawnWaypost({
      CONFIG_FILE: join(dir, 'waypost.yaml'),
      DATA_DIR: join(dir, 'data'),
      STORE: 'sqlite',
      LOG_LEVEL: 'debug',
      ACCESS_LOG: 'true',
      REGISTRATION_KEY,
      ADMIN_KEY,
      METRICS_TOKEN,
      HEALTH_CHECK_INTERVAL: '200ms',
    });
    await runTheFlow();
    await kill(wp.child, 'SIGTERM');
    lines = wp
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }, 60_000);

  afterAll(async () => {
    if (wp?.child.exitCode === null) await kill(wp.child, 'SIGKILL');
    await echo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function runTheFlow(): Promise<void> {
    const admin = bearer(ADMIN_KEY);
    const reg = await call('POST', `${wp.admin}/service`, {
      headers: { ...bearer(REGISTRATION_KEY), 'x-request-id': 'trace-registration-1' },
      body: aRegistration({
        serviceType: 'logged',
        port: echo.port,
        healthCheck: { type: 'ttl', ttl: '30s' },
      }),
    });
    expect(reg.status).toBe(201);
    const { serviceId, token } = reg.body as { serviceId: string; token: string };
    secrets.push(token);
    const creds = instanceHeaders(serviceId, token);
    expect(
      (await call('PUT', `${wp.admin}/service/${serviceId}/heartbeat`, { headers: creds })).status,
    ).toBe(200);
    expect((await call('GET', `${wp.admin}/services/logged`, { headers: creds })).status).toBe(200);
    expect((await call('GET', `${wp.admin}/services`, { headers: bearer(WRONG[0]) })).status).toBe(
      401,
    );
    expect(
      (
        await call('PUT', `${wp.admin}/service/${serviceId}/heartbeat`, {
          headers: instanceHeaders(serviceId, WRONG[1]),
        })
      ).status,
    ).toBe(401);
    expect(
      (await call('GET', `${wp.admin}/services?token=${IN_QUERY}`, { headers: admin })).status,
    ).toBe(200);
    // The 404 names the path it did not find, never the query's values.
    const nowhere = await call('GET', `${wp.admin}/nowhere?key=${IN_QUERY}`, { headers: admin });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.message).toBe('Cannot GET /nowhere');
    const consulNowhere = await call('GET', `${wp.admin}/v1/agent/nope?token=${IN_QUERY}`);
    expect(consulNowhere.status).toBe(404);
    expect(consulNowhere.text).not.toContain(IN_QUERY);
    const compat = await call('POST', `${wp.admin}/internal/register-service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aServiceRegistration({
        url: echo.url,
        routes: [{ method: 'GET', path: '/api/comments/*' }],
      }),
    });
    expect(compat.status).toBeLessThan(300);
    secrets.push((compat.body as { token: string }).token);

    expect(
      (
        await send('GET', `${wp.gateway}/keyed/a?token=${IN_QUERY}`, {
          'x-api-key': API_KEY,
          'x-request-id': 'trace-gateway-1',
        })
      ).status,
    ).toBe(200);
    expect((await send('GET', `${wp.gateway}/keyed/b`, { 'x-api-key': WRONG[2] })).status).toBe(
      401,
    );
    expect(
      (await send('GET', `${wp.gateway}/keyed/c`, { authorization: `Bearer ${ADMIN_KEY}` })).status,
    ).toBe(401);

    const consul = await fetch(`${wp.admin}/v1/agent/service/register?token=${REGISTRATION_KEY}`, {
      method: 'PUT',
      body: JSON.stringify({
        Name: 'consulled',
        ID: 'consulled-1',
        Port: echo.port,
        Address: '127.0.0.1',
        Check: { TTL: '30s' },
      }),
    });
    expect(consul.status).toBe(200);
    const pass = await fetch(`${wp.admin}/v1/agent/check/pass/service:consulled-1`, {
      method: 'PUT',
      headers: { 'x-consul-token': REGISTRATION_KEY },
    });
    expect(pass.status).toBe(200);
    expect((await fetch(`${wp.admin}/v1/agent/services?token=${WRONG[0]}`)).status).toBe(403);
    expect(
      (await call('GET', `${wp.admin}/metrics`, { headers: bearer(METRICS_TOKEN) })).status,
    ).toBe(200);
    expect(
      (await call('DELETE', `${wp.admin}/service/${serviceId}`, { headers: creds })).status,
    ).toBe(200);
  }

  it('writes one JSON object a line with time, level and msg', () => {
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(typeof line.time).toBe('number');
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(line.level);
      expect(typeof line.msg).toBe('string');
    }
    // Nothing but JSON on stdout: the only other lines allowed are Node's own warnings on stderr.
    const others = wp
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('{'));
    expect(others).toEqual([]);
  });

  it('puts reqId on every line about a request, the caller’s X-Request-Id when it sent a sane one', () => {
    const admin = lines.filter((l) => l.msg === 'admin request');
    expect(admin.length).toBeGreaterThanOrEqual(12);
    for (const line of admin) expect(line.reqId).toEqual(expect.any(String));
    expect(admin.find((l) => l.reqId === 'trace-registration-1')).toMatchObject({
      method: 'POST',
      path: '/service',
      status: 201,
    });
    // The registry's line about the change names the instance; it is written on every node the
    // change reaches, so it is the change's line, not the request's.
    const registered = lines.find((l) => / registered as /.test(l.msg as string));
    expect(registered?.reqId).toBeUndefined();

    // A check is no request's: the probes after a registration carry no reqId.
    const probed = lines.filter((l) => /^sagjan .* -> UP$/.test(l.msg as string));
    expect(probed).toHaveLength(1);
    expect(probed[0].reqId).toBeUndefined();

    const access = lines.filter((l) => l.msg === 'gateway request');
    expect(access).toHaveLength(3);
    expect(access[0]).toMatchObject({
      reqId: 'trace-gateway-1',
      method: 'GET',
      path: '/keyed/a',
      route: 'config-0',
      instance: 'config-0',
      status: 200,
      ms: expect.any(Number),
    });
    expect(access[1]).toMatchObject({ path: '/keyed/b', route: null, status: 401 });
    for (const line of access) expect(line.reqId).toEqual(expect.any(String));
    // Paths are logged without their query.
    expect(lines.some((l) => typeof l.path === 'string' && l.path.includes('?'))).toBe(false);
  });

  it('never logs a key or a token, at debug', () => {
    const output = wp.output();
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    for (const secret of secrets)
      expect({ secret, found: output.includes(secret) }).toEqual({ secret, found: false });
  });
});
