import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aCompatRoute, aRegistration } from '../factories';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { waitFor } from './helpers/fake-service';
import { bearer, call, send } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY } from './helpers/start-waypost';
import { kill, spawnWaypost, WaypostProcess } from './helpers/waypost-process';

/**
 * DATA_DIR on a 4 MiB tmpfs, mounted in a mount namespace of the Waypost process's own (`unshare
 * -m`, root only): the test fills it and frees it again through `nsenter`. Where mount namespaces
 * are not allowed the suite is skipped, except in CI (REQUIRE_MOUNT_NAMESPACE=1), where it fails.
 */
const canUnshare = spawnSync('unshare', ['-m', 'true']).status === 0;
if (!canUnshare && process.env.REQUIRE_MOUNT_NAMESPACE === '1')
  throw new Error('unshare -m is not allowed here, and CI requires the disk-full suite');
const maybe = canUnshare ? describe : describe.skip;

maybe('a full disk under STORE=sqlite', () => {
  let wp: WaypostProcess;
  let backend: EchoBackend;
  let dataDir: string;
  const key = bearer(REGISTRATION_KEY);
  const admin = bearer(ADMIN_KEY);

  const inNamespace = (script: string) =>
    execFileSync('nsenter', ['-t', String(wp.child.pid), '-m', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
  const registry = async () => ({
    services: (await call('GET', `${wp.admin}/services`, { headers: admin })).text,
    instances: (await call('GET', `${wp.admin}/services/kept`, { headers: admin })).text,
    routes: (await call('GET', `${wp.admin}/routes`, { headers: admin })).text,
  });
  const ready = async () => (await call('GET', `${wp.admin}/health/ready`)).status;

  beforeAll(async () => {
    backend = await startEchoBackend('kept');
    dataDir = mkdtempSync(join(tmpdir(), 'waypost-full-'));
    wp = await spawnWaypost(
      {
        STORE: 'sqlite',
        DATA_DIR: dataDir,
        REGISTRATION_KEY,
        ADMIN_KEY,
        REGISTRATION_RATE_LIMIT: '100000',
      },
      15_000,
      [
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t tmpfs -o size=4m tmpfs '${dataDir}' && exec "$@"`,
        'sh',
      ],
    );
  });

  afterAll(async () => {
    if (wp) await kill(wp.child, 'SIGKILL');
    await backend?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 store unavailable with nothing half-written, keeps routing, and recovers', async () => {
    expect(inNamespace(`df -k '${dataDir}' | tail -1`)).toMatch(/tmpfs\s+4096/);
    const first = await call('POST', `${wp.admin}/service`, {
      headers: key,
      body: aRegistration({ serviceType: 'kept', port: backend.port }),
    });
    expect(first.status).toBe(201);
    const route = await call('POST', `${wp.admin}/register`, {
      headers: key,
      body: aCompatRoute({ host: 'full.example.com', path: '/kept', backend: backend.url }),
    });
    expect(route.status).toBe(200);
    expect((await send('GET', `${wp.gateway}/kept/a`, { host: 'full.example.com' })).status).toBe(
      200,
    );
    expect(await ready()).toBe(200);

    inNamespace(`dd if=/dev/zero of='${dataDir}/fill' bs=4k 2>/dev/null; true`);
    expect(inNamespace(`df -k '${dataDir}' | tail -1`)).toMatch(/\s0\s+100%/);
    const before = await registry();
    // Large enough that no page the WAL has spare could take it.
    const pad = 'x'.repeat(1000);
    const attempts = [
      call('POST', `${wp.admin}/service`, {
        headers: key,
        body: aRegistration({
          serviceType: 'lost',
          port: 4000,
          metadata: { a: pad, b: pad, c: pad, d: pad, e: pad, f: pad },
        }),
      }),
      call('POST', `${wp.admin}/register`, {
        headers: key,
        body: aCompatRoute({
          host: 'lost.example.com',
          path: `/${'p'.repeat(200)}`,
          backend: backend.url,
          options: { headers: { 'x-pad': pad } },
        }),
      }),
      call('DELETE', `${wp.admin}/service/${first.body.serviceId}`, { headers: admin }),
    ];
    for (const answer of await Promise.all(attempts)) {
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 503,
        body: {
          statusCode: 503,
          error: 'store unavailable',
          message: 'store unavailable',
          code: 'STORE_UNAVAILABLE',
        },
      });
    }
    expect(await registry()).toEqual(before);
    const readiness = await call('GET', `${wp.admin}/health/ready`);
    expect(readiness.status).toBe(503);
    expect(readiness.text).toContain('cannot write');
    // The gateway serves what it knows from memory.
    expect((await send('GET', `${wp.gateway}/kept/b`, { host: 'full.example.com' })).status).toBe(
      200,
    );

    inNamespace(`rm -f '${dataDir}/fill'`);
    await waitFor(async () => (await ready()) === 200, 5_000, 200);
    const after = await call('POST', `${wp.admin}/service`, {
      headers: key,
      body: aRegistration({ serviceType: 'kept', port: backend.port + 1 }),
    });
    expect(after.status).toBe(201);
    expect(await wp.writtenOutput()).toContain('SQLITE_FULL');
  });
});
