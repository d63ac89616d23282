import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aCompatRoute, aRegistration, aServiceRegistration } from '../factories';
import { bearer, call, instanceHeaders } from './helpers/http';
import { tempDataDir } from './helpers/start-waypost';
import { kill, runToExit, spawnWaypost, WaypostProcess } from './helpers/waypost-process';

function printedKey(output: string, name: string): string {
  const match = new RegExp(`${name}=([A-Za-z0-9_-]{43})`).exec(output);
  if (!match) throw new Error(`${name} was not printed:\n${output}`);
  return match[1];
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('the real process', () => {
  const dataDir = tempDataDir();
  let current: WaypostProcess | undefined;
  afterAll(async () => {
    if (current) await kill(current.child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps instances, routes, ids and tokens across kill -9', async () => {
    current = await spawnWaypost({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const registrationKey = printedKey(current.output(), 'REGISTRATION_KEY');
    const adminKey = printedKey(current.output(), 'ADMIN_KEY');
    expect(occurrences(current.output(), registrationKey)).toBe(1);
    expect(statSync(join(dataDir, 'keys.json')).mode & 0o777).toBe(0o600);

    const key = bearer(registrationKey);
    const instance = await call('POST', `${current.admin}/service`, {
      headers: key,
      body: aRegistration({
        metadata: { build: '42' },
        routes: [{ path: '/users', method: 'GET' }],
      }),
    });
    expect(instance.status).toBe(201);
    const internal = await call('POST', `${current.admin}/internal/register-service`, {
      headers: key,
      body: aServiceRegistration({ routes: [{ method: 'GET', path: '/api/comments/*' }] }),
    });
    expect(internal.status).toBe(200);
    expect(
      (await call('POST', `${current.admin}/register`, { headers: key, body: aCompatRoute() }))
        .status,
    ).toBe(200);
    const creds = instanceHeaders(instance.body.serviceId, instance.body.token);
    /** What must survive the kill: the instance, every route, the service summary. */
    const snapshot = async (admin: string) => ({
      instance: (await call('GET', `${admin}/service/${instance.body.id}`, { headers: creds }))
        .body,
      routes: (await call('GET', `${admin}/routes`, { headers: key })).body,
      services: (await call('GET', `${admin}/services`, { headers: creds })).body,
    });
    await call('PATCH', `${current.admin}/service/${instance.body.id}`, {
      headers: creds,
      body: { status: 'MAINTENANCE' },
    });
    const before = await snapshot(current.admin);

    expect(await kill(current.child, 'SIGKILL')).toBeNull();
    current = await spawnWaypost({ DATA_DIR: dataDir });

    // Same generated keys, read back from DATA_DIR.
    expect(printedKey(current.output(), 'REGISTRATION_KEY')).toBe(registrationKey);
    expect(printedKey(current.output(), 'ADMIN_KEY')).toBe(adminKey);
    const after = await snapshot(current.admin);
    expect(after).toEqual({ ...before, routes: { ...before.routes, routes: expect.any(Array) } });
    expect(after.routes.routes).toEqual(expect.arrayContaining(before.routes.routes));
    expect(after.instance.status).toBe('MAINTENANCE');
    // The old tokens still work, for both API styles.
    const internalCreds = instanceHeaders(internal.body.serviceId, internal.body.token);
    expect(
      (
        await call('GET', `${current.admin}/service/${internal.body.serviceId}`, {
          headers: internalCreds,
        })
      ).status,
    ).toBe(200);
    expect(
      (await call('DELETE', `${current.admin}/service/${instance.body.id}`, { headers: creds }))
        .status,
    ).toBe(200);

    // No token ever reached the log.
    const written = await current.writtenOutput();
    expect(written).not.toContain(instance.body.token);
    expect(written).not.toContain(internal.body.token);
  });

  it('drains on SIGTERM and exits 0', async () => {
    if (!current) current = await spawnWaypost({ DATA_DIR: dataDir });
    expect(await kill(current.child, 'SIGTERM')).toBe(0);
    current = undefined;
  });
});

describe('start-up with bad settings', () => {
  const dataDir = tempDataDir();
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each([
    [
      { HEALTH_CHECK_INTERVAL: 'often' },
      /^waypost: invalid setting HEALTH_CHECK_INTERVAL: must be a duration/,
    ],
    [
      { ADMIN_PORT: '70000' },
      /^waypost: invalid setting ADMIN_PORT: must be a whole number from 0 to 65535$/,
    ],
    [
      { STORE: 'postgres' },
      /^waypost: invalid setting STORE: must be one of sqlite, memory, etcd$/,
    ],
    [
      { TRUSTED_NETWORKS: '10.0.0.0/33' },
      /^waypost: invalid setting TRUSTED_NETWORKS: "10.0.0.0\/33" is not a CIDR/,
    ],
    [
      { UNHEALTHY_THRESHOLD: '0' },
      /^waypost: invalid setting UNHEALTHY_THRESHOLD: must be a whole number from 1/,
    ],
    [
      { REGISTRATION_KEY: 'abc' },
      /^waypost: invalid setting REGISTRATION_KEY: must be 16-512 printable characters/,
    ],
    [
      { CONFIG_FILE: '/nonexistent/waypost.yaml' },
      /^waypost: invalid setting CONFIG_FILE: \/nonexistent\/waypost.yaml does not exist$/,
    ],
  ])('refuses %p with one line naming it', async (env, line) => {
    const { code, output } = await runToExit({ DATA_DIR: dataDir, ...env });
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it('refuses a config file that is not valid YAML or has unknown keys', async () => {
    const broken = join(dataDir, 'broken.yaml');
    writeFileSync(broken, 'routes: [\n');
    const unknown = join(dataDir, 'unknown.yaml');
    writeFileSync(unknown, 'HEALTH_CHECK_INTERVALL: 5s\n');
    const a = await runToExit({ DATA_DIR: dataDir, CONFIG_FILE: broken });
    const b = await runToExit({ DATA_DIR: dataDir, CONFIG_FILE: unknown });
    expect([a.code, b.code]).toEqual([1, 1]);
    expect(a.output.trim()).toMatch(
      /^waypost: invalid setting CONFIG_FILE: .*broken.yaml cannot be read/,
    );
    expect(b.output.trim()).toBe(
      `waypost: invalid setting ${unknown}: unknown key HEALTH_CHECK_INTERVALL`,
    );
    expect(existsSync(join(dataDir, 'waypost.db'))).toBe(false);
  });
});
