import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { freePort } from './helpers/free-port';
import { ADMIN_KEY, REGISTRATION_KEY } from './helpers/start-waypost';
import { kill, spawnWaypost, WaypostProcess } from './helpers/waypost-process';

const REGISTRANTS = 20;
const KILLS = Number(process.env.KILL_LOOPS ?? 20);

/** A seeded generator (mulberry32): the same kills at the same moments on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one registrant knows was acknowledged: its instance (id, token, route path) or none. */
interface Known {
  id: string;
  token: string;
  path: string;
}

interface Registrant {
  service: string;
  /** The last acknowledged state; undefined while an operation's outcome is unknown (cut by a kill). */
  known: Known | null | undefined;
  /** The operation cut by a kill: the state before it, and the route path it was registering. */
  cut: { prior: Known | null; registering: string | null } | null;
  generation: number;
}

type Answer = { status: number; body: any } | null; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * kill -9 in a loop: 20 registrants register, heartbeat, re-register and delete against the built
 * process on STORE=sqlite, recording only what was acknowledged; the process is killed at a seeded
 * random moment and restarted on the same ports, 20 times. After each restart every acknowledged
 * registration is there with its id, its one route and a working token; every acknowledged delete
 * stayed deleted; no route is left without its instance, none is there twice; and while it came
 * back, the gateway never answered 404 for a route that was on disk.
 */
describe('kill -9 loop on sqlite', () => {
  let backend: EchoBackend;
  let dataDir: string;
  let ports: { admin: number; gateway: number };
  let wp: WaypostProcess | null = null;
  const rand = random(20261203);
  const violations: string[] = [];
  let cutOperations = 0;

  const admin = () => `http://127.0.0.1:${ports.admin}`;
  const gateway = () => `http://127.0.0.1:${ports.gateway}`;

  async function ask(
    method: string,
    url: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<Answer> {
    try {
      const response = await request(url, {
        method: method as 'GET',
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      const text = await response.body.text();
      return { status: response.statusCode, body: text ? JSON.parse(text) : undefined };
    } catch {
      return null; // refused or cut: the process is down or went down meanwhile
    }
  }

  const creds = (known: Known) => ({ 'x-service-id': known.id, 'x-service-token': known.token });
  const asAdmin = { authorization: `Bearer ${ADMIN_KEY}` };

  async function start(): Promise<void> {
    wp = await spawnWaypost({
      STORE: 'sqlite',
      DATA_DIR: dataDir,
      ADMIN_PORT: String(ports.admin),
      GATEWAY_PORT: String(ports.gateway),
      REGISTRATION_KEY,
      ADMIN_KEY,
      REGISTRATION_RATE_LIMIT: '1000000',
    });
  }

  /** One operation of one registrant; an answer of null leaves its outcome unknown. */
  async function step(r: Registrant): Promise<void> {
    const prior = r.known as Known | null;
    const choice = rand();
    if (prior === null || choice < 0.3) {
      const path = `/${r.service}/g${++r.generation}`;
      const answer = await ask(
        'POST',
        `${admin()}/internal/register-service`,
        { authorization: `Bearer ${REGISTRATION_KEY}` },
        { service: r.service, url: backend.url, routes: [{ path }] },
      );
      if (answer === null)
        return void Object.assign(r, { known: undefined, cut: { prior, registering: path } });
      if (answer.status !== 200)
        violations.push(`${r.service}: register answered ${answer.status}`);
      r.known = { id: answer.body.serviceId, token: answer.body.token, path };
    } else if (choice < 0.8) {
      const answer = await ask('PUT', `${admin()}/service/${prior.id}/heartbeat`, creds(prior));
      if (answer !== null && answer.status !== 200)
        violations.push(
          `${r.service}: heartbeat of an acknowledged instance answered ${answer.status}`,
        );
    } else {
      const answer = await ask('DELETE', `${admin()}/service/${prior.id}`, creds(prior));
      if (answer === null)
        return void Object.assign(r, { known: undefined, cut: { prior, registering: null } });
      if (answer.status !== 200) violations.push(`${r.service}: delete answered ${answer.status}`);
      r.known = null;
    }
  }

  /**
   * Whether what the registry holds for an operation cut by the kill is one of its two outcomes:
   * the state before it, or the state it was making (the registration's route, or nothing).
   */
  function cutOutcomeHolds(
    cut: NonNullable<Registrant['cut']>,
    instances: { id: string }[],
    own: string[],
  ): boolean {
    const before =
      cut.prior === null
        ? instances.length === 0 && own.length === 0
        : instances.length === 1 &&
          instances[0].id === cut.prior.id &&
          own.join() === cut.prior.path;
    const after =
      cut.registering === null
        ? instances.length === 0 && own.length === 0
        : instances.length === 1 &&
          (cut.prior === null || instances[0].id === cut.prior.id) &&
          own.join() === cut.registering;
    return before || after;
  }

  /** After a restart: what the registry holds for each registrant, against what was acknowledged. */
  async function verify(registrants: Registrant[], round: number): Promise<void> {
    const routes = ((await ask('GET', `${admin()}/routes`, asAdmin))?.body?.routes ?? []) as {
      path: string;
    }[];
    const paths = routes.map((route) => route.path);
    for (const r of registrants) {
      const listed = await ask('GET', `${admin()}/services/${r.service}`, asAdmin);
      const instances = (listed?.status === 200 ? listed.body.instances : []) as { id: string }[];
      const own = paths.filter((path) => path.startsWith(`/${r.service}/`));
      if (own.length !== new Set(own).size)
        violations.push(`round ${round} ${r.service}: a route twice`);
      if (r.known === undefined) {
        const cut = r.cut as NonNullable<Registrant['cut']>;
        cutOperations++;
        if (!cutOutcomeHolds(cut, instances, own))
          violations.push(
            `round ${round} ${r.service}: after a cut operation ${JSON.stringify({ cut, instances, own })}`,
          );
        // Its token may be one the kill kept from us: start the registrant afresh.
        for (const instance of instances)
          await ask('DELETE', `${admin()}/service/${instance.id}`, asAdmin);
        r.known = null;
        r.cut = null;
        continue;
      }
      if (r.known === null) {
        if (instances.length > 0)
          violations.push(`round ${round} ${r.service}: a deleted instance is back`);
        if (own.length > 0)
          violations.push(`round ${round} ${r.service}: an orphan route ${own[0]}`);
        continue;
      }
      const known = r.known;
      if (instances.length !== 1 || instances[0].id !== known.id)
        violations.push(
          `round ${round} ${r.service}: instance ${known.id} not there once (${instances.length})`,
        );
      if (own.length !== 1 || own[0] !== known.path)
        violations.push(
          `round ${round} ${r.service}: routes ${JSON.stringify(own)}, acknowledged ${known.path}`,
        );
      const beat = await ask('PUT', `${admin()}/service/${known.id}/heartbeat`, creds(known));
      if (beat?.status !== 200)
        violations.push(`round ${round} ${r.service}: token refused (${beat?.status})`);
      const routed = await ask('GET', `${gateway()}${known.path}/x`);
      if (routed?.status !== 200)
        violations.push(`round ${round} ${r.service}: gateway answered ${routed?.status}`);
    }
  }

  beforeAll(async () => {
    backend = await startEchoBackend('kill-loop');
    dataDir = mkdtempSync(join(tmpdir(), 'waypost-kill-'));
    ports = { admin: await freePort(), gateway: await freePort() };
  });

  afterAll(async () => {
    if (wp) await kill(wp.child, 'SIGKILL');
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged change across ${KILLS} kills at random moments`, async () => {
    const registrants: Registrant[] = Array.from({ length: REGISTRANTS }, (_, i) => ({
      service: `kl${i}`,
      known: null,
      cut: null,
      generation: 0,
    }));
    await start();
    let acknowledged = 0;
    for (let round = 1; round <= KILLS; round++) {
      let running = true;
      const loops = registrants.map(async (r) => {
        while (running && r.known !== undefined) {
          await step(r);
          if (r.known !== undefined) acknowledged++;
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 150 + rand() * 600));
      await kill((wp as WaypostProcess).child, 'SIGKILL');
      running = false;
      await Promise.all(loops);
      // While it comes back: routes acknowledged before the kill answer, or refuse to connect, or say
      // 503; never 404.
      const onDisk = registrants.map((r) => r.known).filter((k): k is Known => !!k);
      let comingBack = true;
      const watcher = (async () => {
        while (comingBack) {
          for (const known of onDisk) {
            const answer = await ask('GET', `${gateway()}${known.path}/w`);
            // 503 (no UP instance yet: one killed before its first check) is allowed; 404 is not.
            if (answer !== null && answer.status === 404)
              violations.push(
                `round ${round}: ${known.path} answered ${answer.status} while coming back`,
              );
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      await start();
      comingBack = false;
      await watcher;
      await verify(registrants, round);
      expect(violations).toEqual([]);
    }
    // The loop did what it claims: many acknowledged operations, and kills that cut some mid-way.
    expect(acknowledged).toBeGreaterThan(KILLS * REGISTRANTS);
    expect(cutOperations).toBeGreaterThan(KILLS);
    process.stdout.write(
      `kill -9 loop: ${KILLS} kills, ${acknowledged} acknowledged operations, ${cutOperations} cut by a kill\n`,
    );
  }, 240_000);
});
