import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { ADMIN_KEY, REGISTRATION_KEY } from './helpers/start-waypost';
import { kill, spawnWaypost, WaypostProcess } from './helpers/waypost-process';

const INSTANCES = 100;
const SECONDS = Number(process.env.CHURN_SECONDS ?? 60);
/** An instance stays deregistered this long in each second before it registers again. */
const AWAY_MS = 500;
/**
 * A request the gateway wrote to the instance before its DELETE was committed may still be read by
 * the backend a moment after the test read the DELETE's answer (two sockets, one event loop).
 */
const READ_SKEW_MS = 25;

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

function sizeMiB(path: string): number {
  try {
    return statSync(path).size / 1024 / 1024;
  } catch {
    return 0;
  }
}

/**
 * Churn: 100 instances of one service, each with a backend of its own, deregister and come back
 * every second for 60 s while requests run through their route. Each backend records when requests
 * reach it; none may arrive while its instance is deregistered (from the DELETE's answer to the next
 * registration's request). RSS and the sqlite files stay bounded (the WAL is checkpointed).
 */
describe('churn on sqlite', () => {
  let wp: WaypostProcess;
  let dataDir: string;
  const backends: { server: Server; port: number; arrivals: number[] }[] = [];

  beforeAll(async () => {
    for (let i = 0; i < INSTANCES; i++) {
      const arrivals: number[] = [];
      const server = createServer((req, res) => {
        arrivals.push(performance.now());
        req.resume();
        res.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      backends.push({ server, port: (server.address() as AddressInfo).port, arrivals });
    }
    dataDir = mkdtempSync(join(tmpdir(), 'waypost-churn-'));
    wp = await spawnWaypost({
      STORE: 'sqlite',
      DATA_DIR: dataDir,
      REGISTRATION_KEY,
      ADMIN_KEY,
      REGISTRATION_RATE_LIMIT: '1000000',
    });
  });

  afterAll(async () => {
    await kill(wp.child, 'SIGKILL');
    for (const { server } of backends) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    `sends nothing to a deregistered instance through ${SECONDS} s of churn, in bounded memory and disk`,
    async () => {
      const admin = new Pool(wp.admin, { connections: 16 });
      const gateway = new Pool(wp.gateway, { connections: 16 });
      const json = {
        'content-type': 'application/json',
        authorization: `Bearer ${REGISTRATION_KEY}`,
      };
      /** Per backend: the windows [DELETE answered, next registration sent] it must see nothing in. */
      const away: [number, number][][] = backends.map(() => []);
      const register = async (i: number): Promise<string> => {
        const res = await admin.request({
          method: 'POST',
          path: '/service',
          headers: json,
          body: JSON.stringify({
            serviceType: 'churn',
            host: '127.0.0.1',
            port: backends[i].port,
            healthCheck: { type: 'none' },
            routes: [{ path: '/churn' }],
          }),
        });
        const body = (await res.body.json()) as { serviceId: string };
        if (res.statusCode !== 201) throw new Error(`registration answered ${res.statusCode}`);
        return body.serviceId;
      };
      const ids = await Promise.all(backends.map((_, i) => register(i)));

      const started = performance.now();
      const deadline = started + SECONDS * 1000;
      const statuses = new Map<number, number>();
      const samples: { at: number; rss: number; db: number; wal: number }[] = [];
      const sample = () =>
        samples.push({
          at: (performance.now() - started) / 1000,
          rss: rssMiB(wp.child.pid as number),
          db: sizeMiB(join(dataDir, 'waypost.db')),
          wal: sizeMiB(join(dataDir, 'waypost.db-wal')),
        });
      const sampler = setInterval(sample, 5_000);

      const load = Array.from({ length: 16 }, async () => {
        while (performance.now() < deadline) {
          const res = await gateway.request({ method: 'GET', path: '/churn/x' });
          await res.body.dump();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        }
      });
      // Each instance leaves and comes back once a second, at its own phase of the second.
      const churn = backends.map(async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i * 1000) / INSTANCES));
        while (performance.now() + 1000 < deadline) {
          const cycle = performance.now();
          const res = await admin.request({
            method: 'DELETE',
            path: `/service/${ids[i]}`,
            headers: { authorization: `Bearer ${ADMIN_KEY}` },
          });
          await res.body.dump();
          if (res.statusCode !== 200) throw new Error(`DELETE answered ${res.statusCode}`);
          const gone = performance.now();
          await new Promise((resolve) => setTimeout(resolve, AWAY_MS));
          away[i].push([gone, performance.now()]);
          ids[i] = await register(i);
          const rest = 1000 - (performance.now() - cycle);
          if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
        }
      });
      await Promise.all([...load, ...churn]);
      clearInterval(sampler);
      sample();
      await admin.close();
      await gateway.close();

      const misrouted: string[] = [];
      backends.forEach((backend, i) => {
        for (const [gone, back] of away[i])
          for (const at of backend.arrivals)
            if (at > gone + READ_SKEW_MS && at < back)
              misrouted.push(
                `instance ${i}: a request ${(at - gone).toFixed(1)} ms after its DELETE was answered`,
              );
      });
      const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
      const cycles = away.reduce((a, windows) => a + windows.length, 0);
      expect(misrouted.slice(0, 5)).toEqual([]);
      expect([...statuses.keys()]).toEqual([200]);
      expect(cycles).toBeGreaterThan(INSTANCES * (SECONDS - 3));
      // Bounded: after the first 20 s, RSS grows by less than 32 MiB and the WAL stays under 16 MiB.
      const settled = samples.find((s) => s.at >= Math.min(20, SECONDS / 3)) ?? samples[0];
      const last = samples[samples.length - 1];
      expect(last.rss - settled.rss).toBeLessThan(32);
      expect(Math.max(...samples.map((s) => s.wal))).toBeLessThan(16);
      expect(last.db).toBeLessThan(16);
      process.stdout.write(
        `churn: ${cycles} deregistrations and registrations in ${SECONDS} s, ${answered} requests, RSS ${settled.rss.toFixed(0)} → ${last.rss.toFixed(0)} MiB, WAL at most ${Math.max(...samples.map((s) => s.wal)).toFixed(1)} MiB, db ${last.db.toFixed(2)} MiB\n`,
      );
    },
    (SECONDS + 60) * 1000,
  );
});
