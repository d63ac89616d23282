import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { WaypostModule } from '../../packages/nestjs/src';
import { sleep, waitFor } from './helpers/fake-service';
import { ADMIN_KEY, REGISTRATION_KEY } from './helpers/start-waypost';
import { kill, spawnWaypost, WaypostProcess } from './helpers/waypost-process';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'nest-service', 'dist', 'main.js');

/**
 * @waypost/nestjs in a real Nest app, and the example service (examples/nest-service, built)
 * restarted one instance at a time behind the real gateway under steady load.
 */
describe('NestJS services on @waypost/nestjs', () => {
  jest.setTimeout(90_000);
  let dataDir: string;
  let registry: WaypostProcess;

  const instancesOf = async (serviceType: string) => {
    const answer = await fetch(`${registry.admin}/services/${serviceType}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    return ((await answer.json()) as { instances: { id: string; port: number; status: string }[] })
      .instances;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'waypost-rolling-'));
    registry = await spawnWaypost({
      STORE: 'sqlite',
      DATA_DIR: dataDir,
      REGISTRATION_KEY,
      ADMIN_KEY,
      HEALTH_CHECK_INTERVAL: '1s',
    });
  });

  afterAll(async () => {
    await kill(registry.child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers the app with the port it really listens on, and drains then deregisters on close', async () => {
    @Controller()
    class HelloController {
      @Get('hello')
      hello() {
        return 'hello';
      }
    }
    @Module({
      imports: [
        WaypostModule.forRoot({
          url: registry.admin,
          registrationKey: REGISTRATION_KEY,
          drainFor: '500ms',
          service: { serviceType: 'nest-app', host: '127.0.0.1', healthCheck: { type: 'none' } },
        }),
      ],
      controllers: [HelloController],
    })
    class HelloModule {}
    const app = await NestFactory.create<NestFastifyApplication>(
      HelloModule,
      new FastifyAdapter(),
      {
        logger: false,
      },
    );
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    await waitFor(async () => (await instancesOf('nest-app'))[0]?.port === port, 3_000);

    const closing = app.close();
    // Drained first (no new traffic), for drainFor; gone once the app has closed.
    await waitFor(async () => (await instancesOf('nest-app'))[0]?.status === 'MAINTENANCE', 400);
    await closing;
    expect(await instancesOf('nest-app')).toEqual([]);
  });

  it('closes at once when the registry was never reached: nothing to leave, retries stop', async () => {
    @Module({
      imports: [
        WaypostModule.forRoot({
          url: 'http://127.0.0.1:1',
          registrationKey: REGISTRATION_KEY,
          service: { serviceType: 'unreachable', healthCheck: { type: 'none' } },
        }),
      ],
    })
    class LonelyModule {}
    const app = await NestFactory.create<NestFastifyApplication>(
      LonelyModule,
      new FastifyAdapter(),
      {
        logger: false,
      },
    );
    await app.listen(0, '127.0.0.1');
    await sleep(500);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('serves every request of a steady load while three instances restart one at a time', async () => {
    const processes = new Map<string, ChildProcess>();
    const start = (name: string) => {
      const child = spawn(process.execPath, [EXAMPLE], {
        env: {
          PATH: process.env.PATH ?? '',
          WAYPOST_URL: registry.admin,
          REGISTRATION_KEY,
          DRAIN_FOR: '1s',
          PORT: '0',
          INSTANCE_NAME: name,
        },
        stdio: 'ignore',
      });
      processes.set(name, child);
    };
    const upCount = async () =>
      (await instancesOf('orders')).filter((i) => i.status === 'UP').length;
    for (const name of ['a1', 'b1', 'c1']) start(name);
    await waitFor(async () => (await upCount()) === 3, 15_000);
    await waitFor(async () => (await fetch(`${registry.gateway}/orders/0`)).status === 200, 5_000);
    // The example's own Terminus check through WaypostHealthIndicator: up while registered (its
    // status is the registry's answer the client last had: UNKNOWN at registration, UP later).
    const one = (await instancesOf('orders'))[0] as { port: number; id: string };
    const indicator = await (await fetch(`http://127.0.0.1:${one.port}/health/registry`)).json();
    expect(indicator).toMatchObject({
      status: 'ok',
      info: { waypost: { status: 'up', instanceId: one.id } },
    });

    // 200 requests a second through the gateway, each on its own schedule, for the whole restart.
    const agent = new Agent({ connections: 64 });
    const results: { ok: boolean; status: number; name?: string; at: number }[] = [];
    let sending = true;
    const inFlight = new Set<Promise<void>>();
    const load = (async () => {
      for (let i = 0; sending; i++) {
        const request = fetch(`${registry.gateway}/orders/${i}`, { dispatcher: agent } as never)
          .then(async (response) => {
            const body = (await response.json().catch(() => ({}))) as { name?: string };
            results.push({
              ok: response.status === 200,
              status: response.status,
              name: body.name,
              at: Date.now(),
            });
          })
          .catch(() => {
            results.push({ ok: false, status: 0, at: Date.now() });
          });
        inFlight.add(request);
        void request.finally(() => inFlight.delete(request));
        await sleep(5);
      }
    })();

    const started = Date.now();
    const quietAfterSigterm: number[] = [];
    for (const [old, replacement] of [
      ['a1', 'a2'],
      ['b1', 'b2'],
      ['c1', 'c2'],
    ]) {
      await sleep(1_000);
      const sigterm = Date.now();
      const exited = new Promise((resolve) => processes.get(old)?.once('exit', resolve));
      processes.get(old)?.kill('SIGTERM');
      await exited;
      const last = Math.max(sigterm, ...results.filter((r) => r.name === old).map((r) => r.at));
      quietAfterSigterm.push(last - sigterm);
      start(replacement);
      await waitFor(async () => (await upCount()) === 3, 15_000);
    }
    while (Date.now() - started < 15_000) await sleep(100);
    sending = false;
    await load;
    await Promise.all(inFlight);
    await agent.close();
    for (const child of processes.values()) child.kill('SIGKILL');

    const failed = results.filter((r) => !r.ok);
    process.stdout.write(
      `rolling restart: ${results.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
        `${failed.length} failed; last answer from a stopping instance ${quietAfterSigterm.join(', ')} ms after its SIGTERM\n`,
    );
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThan(2_000);
    // Every replacement served: traffic moved to the new instances.
    for (const name of ['a2', 'b2', 'c2']) expect(results.some((r) => r.name === name)).toBe(true);
  });
});
