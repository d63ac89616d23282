import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { EtcdCluster, HAVE_ETCD } from './helpers/etcd-cluster';
import { freePort } from './helpers/free-port';
import { ADMIN_KEY, REGISTRATION_KEY } from './helpers/start-waypost';
import { kill, spawnWaypost, WaypostProcess } from './helpers/waypost-process';

const REGISTRANTS = 20;
const KILLS = Number(process.env.KILL_LOOPS ?? 20);
/** etcd elects a new leader in about a second and the member needs another to return: fewer rounds. */
const LEADER_KILLS = Number(process.env.KILL_LOOPS ?? 10);

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

/** One Waypost process's two origins. */
interface Origins {
  admin: string;
  gateway: string;
}

/** What each variant of the loop kills, and how it comes back. */
interface Fault {
  /** Starts everything; answers the node the registrants use and every other node. */
  setUp(): Promise<{ target: Origins; others: Origins[] }>;
  /** The kill of a round. */
  kill(): Promise<void>;
  /** How long the registrants go on after the kill (through an election: they should succeed). */
  goOnMs: number;
  /** Brings back what was killed, once every registrant stopped. */
  recover(): Promise<void>;
  tearDown(): Promise<void>;
  /**
   * Statuses that leave an operation's outcome unknown, like a cut connection: on etcd a 503 is a
   * transaction whose answer did not come in time, which may have committed.
   */
  indeterminate: ReadonlySet<number>;
  /** Whether each kill must cut some operation (a killed process does; an election may not). */
  cutsEveryRound: boolean;
  /**
   * Each service's index in the store itself, where nodes follow a store they may lag behind (etcd):
   * verification starts once the node shows them, so it judges what the node converged to.
   */
  storeIndexes?(): Record<string, number>;
}

/**
 * kill -9 in a loop: 20 registrants register, heartbeat, re-register and delete, recording only what
 * was acknowledged, while something is killed with -9 at a seeded random moment and brought back,
 * 20 times: the Waypost process on sqlite; a Waypost node of two on etcd; the etcd leader of three
 * members under two nodes. After each round every acknowledged registration is there with its id,
 * its one route and a working token, on every node; every acknowledged delete stayed deleted; no
 * route is left without its instance, none is there twice; an operation whose answer was lost
 * landed whole or not at all; and the gateway never answered 404 for a route that was on disk
 * while the killed part came back.
 */
function killLoop(name: string, kills: number, seed: number, fault: Fault): void {
  describe(name, () => {
    let origins: { target: Origins; others: Origins[] };
    const rand = random(seed);
    const violations: string[] = [];
    let cutOperations = 0;

    async function ask(
      method: string,
      url: string,
      headers: Record<string, string> = {},
      body?: unknown,
    ): Promise<Answer> {
      try {
        const response = await request(url, {
          method: method as 'GET',
          headers:
            body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
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

    const unknownOutcome = (answer: Answer) =>
      answer === null || fault.indeterminate.has(answer.status);
    const creds = (known: Known) => ({ 'x-service-id': known.id, 'x-service-token': known.token });
    const asAdmin = { authorization: `Bearer ${ADMIN_KEY}` };

    /** One operation of one registrant; an answer of unknown outcome leaves its state unknown. */
    async function step(r: Registrant): Promise<void> {
      const { admin } = origins.target;
      const prior = r.known as Known | null;
      const choice = rand();
      if (prior === null || choice < 0.3) {
        const path = `/${r.service}/g${++r.generation}`;
        const answer = await ask(
          'POST',
          `${admin}/internal/register-service`,
          { authorization: `Bearer ${REGISTRATION_KEY}` },
          { service: r.service, url: backend.url, routes: [{ path }] },
        );
        if (unknownOutcome(answer))
          return void Object.assign(r, { known: undefined, cut: { prior, registering: path } });
        if (answer!.status !== 200)
          violations.push(`${r.service}: register answered ${answer!.status}`);
        r.known = { id: answer!.body.serviceId, token: answer!.body.token, path };
      } else if (choice < 0.8) {
        const answer = await ask('PUT', `${admin}/service/${prior.id}/heartbeat`, creds(prior));
        if (!unknownOutcome(answer) && answer!.status !== 200)
          violations.push(
            `${r.service}: heartbeat of an acknowledged instance answered ${answer!.status}`,
          );
      } else {
        const answer = await ask('DELETE', `${admin}/service/${prior.id}`, creds(prior));
        if (unknownOutcome(answer))
          return void Object.assign(r, { known: undefined, cut: { prior, registering: null } });
        if (answer!.status !== 200)
          violations.push(`${r.service}: delete answered ${answer!.status}`);
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

    /** Per registrant, the instance ids and the route paths a node shows. */
    async function viewOf(admin: string, registrants: Registrant[]) {
      const routes = ((await ask('GET', `${admin}/routes`, asAdmin))?.body?.routes ?? []) as {
        path: string;
      }[];
      const paths = routes.map((route) => route.path);
      return Promise.all(
        registrants.map(async (r) => {
          const listed = await ask('GET', `${admin}/services/${r.service}`, asAdmin);
          // Ids only: check bookkeeping (last check, response time) is each node's own.
          const instances = (listed?.status === 200 ? listed.body.instances : []).map(
            (instance: { id: string }) => ({ id: instance.id }),
          ) as { id: string }[];
          return { instances, own: paths.filter((path) => path.startsWith(`/${r.service}/`)) };
        }),
      );
    }

    /**
     * An answer once the cluster settled: a 503 (the store did not take a write in time; nothing
     * written — or, through a gateway, an instance not checked UP yet) is asked again for up to
     * 5 s. Anything else is the answer.
     */
    async function settled(
      method: string,
      url: string,
      headers: Record<string, string> = {},
    ): Promise<number | undefined> {
      for (const deadline = Date.now() + 5_000; ;) {
        const answer = await ask(method, url, headers);
        if (answer?.status !== 503 || Date.now() > deadline) return answer?.status;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    /**
     * Waits until the node shows every service at the index the store holds: a node whose watch
     * is late reads the store within about two seconds (its pinger), so 5 s is generous.
     */
    async function caughtUp(admin: string, registrants: Registrant[], round: number) {
      const stored = fault.storeIndexes?.();
      if (!stored) return;
      const behind = async () => {
        const late: string[] = [];
        for (const r of registrants) {
          const answer = await request(`${admin}/services/${r.service}`, { headers: asAdmin });
          await answer.body.dump();
          const shown = Number(answer.headers['x-waypost-index'] ?? 0);
          if (shown < (stored[r.service] ?? 0))
            late.push(`${r.service} ${shown}<${stored[r.service]}`);
        }
        return late;
      };
      let late = await behind();
      for (const deadline = Date.now() + 5_000; late.length > 0 && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        late = await behind();
      }
      if (late.length > 0)
        violations.push(
          `round ${round}: ${admin} still behind the store after 5 s: ${late.join(', ')}`,
        );
    }

    /** After a round, on the node the registrants use: what it holds, against what was acknowledged. */
    async function verify(registrants: Registrant[], round: number): Promise<void> {
      const { admin, gateway } = origins.target;
      await caughtUp(admin, registrants, round);
      const views = await viewOf(admin, registrants);
      for (const [i, r] of registrants.entries()) {
        const { instances, own } = views[i];
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
          for (const instance of instances) {
            const removed = await settled('DELETE', `${admin}/service/${instance.id}`, asAdmin);
            if (removed !== 200)
              violations.push(`round ${round} ${r.service}: cleanup answered ${removed}`);
          }
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
        const beat = await settled('PUT', `${admin}/service/${known.id}/heartbeat`, creds(known));
        if (beat !== 200) violations.push(`round ${round} ${r.service}: token refused (${beat})`);
        const routed = await settled('GET', `${gateway}${known.path}/x`);
        if (routed !== 200)
          violations.push(`round ${round} ${r.service}: gateway answered ${routed}`);
      }
    }

    /** Every other node comes to show the same within 5 s, and routes what is acknowledged. */
    async function verifyOthers(registrants: Registrant[], round: number): Promise<void> {
      const wanted = JSON.stringify(await viewOf(origins.target.admin, registrants));
      for (const other of origins.others) {
        let seen = '';
        for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
          seen = JSON.stringify(await viewOf(other.admin, registrants));
          if (seen === wanted) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (seen !== wanted)
          violations.push(`round ${round}: ${other.admin} shows ${seen}, the target ${wanted}`);
        for (const r of registrants) {
          if (!r.known) continue;
          const routed = await settled('GET', `${other.gateway}${r.known.path}/x`);
          if (routed !== 200)
            violations.push(`round ${round} ${r.service}: ${other.gateway} answered ${routed}`);
        }
      }
    }

    let backend: EchoBackend;

    beforeAll(async () => {
      backend = await startEchoBackend(name);
      origins = await fault.setUp();
    });

    afterAll(async () => {
      await fault.tearDown();
      await backend.close();
    });

    it(`keeps every acknowledged change across ${kills} kills at random moments`, async () => {
      const registrants: Registrant[] = Array.from({ length: REGISTRANTS }, (_, i) => ({
        service: `kl${i}`,
        known: null,
        cut: null,
        generation: 0,
      }));
      let acknowledged = 0;
      for (let round = 1; round <= kills; round++) {
        let running = true;
        const loops = registrants.map(async (r) => {
          while (running && r.known !== undefined) {
            await step(r);
            if (r.known !== undefined) acknowledged++;
          }
        });
        await new Promise((resolve) => setTimeout(resolve, 150 + rand() * 600));
        await fault.kill();
        await new Promise((resolve) => setTimeout(resolve, fault.goOnMs));
        running = false;
        await Promise.all(loops);
        // While it comes back: routes acknowledged before answer, or refuse to connect, or say 503;
        // never 404.
        const onDisk = registrants.map((r) => r.known).filter((k): k is Known => !!k);
        let comingBack = true;
        const watcher = (async () => {
          while (comingBack) {
            for (const known of onDisk) {
              const answer = await ask('GET', `${origins.target.gateway}${known.path}/w`);
              // 503 (no UP instance yet: one killed before its first check) is allowed; 404 is not.
              if (answer !== null && answer.status === 404)
                violations.push(
                  `round ${round}: ${known.path} answered ${answer.status} while coming back`,
                );
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })();
        await fault.recover();
        comingBack = false;
        await watcher;
        await verify(registrants, round);
        await verifyOthers(registrants, round);
        expect(violations).toEqual([]);
      }
      // The loop did what it claims: many acknowledged operations, and kills that cut some mid-way.
      expect(acknowledged).toBeGreaterThan(kills * REGISTRANTS);
      if (fault.cutsEveryRound) expect(cutOperations).toBeGreaterThan(kills);
      process.stdout.write(
        `${name}: ${kills} kills, ${acknowledged} acknowledged operations, ${cutOperations} cut by a kill\n`,
      );
    }, 300_000);
  });
}

const NO_STATUS: ReadonlySet<number> = new Set();

/** Waypost on its own ports and settings; `env` adds the store's. */
async function waypostOn(ports: { admin: number; gateway: number }, env: Record<string, string>) {
  return spawnWaypost({
    ADMIN_PORT: String(ports.admin),
    GATEWAY_PORT: String(ports.gateway),
    REGISTRATION_KEY,
    ADMIN_KEY,
    REGISTRATION_RATE_LIMIT: '1000000',
    ...env,
  });
}

const originsOf = (wp: WaypostProcess): Origins => ({ admin: wp.admin, gateway: wp.gateway });

describe('kill -9 loops', () => {
  {
    let dataDir: string;
    let ports: { admin: number; gateway: number };
    let wp: WaypostProcess | null = null;
    const start = async () => {
      wp = await waypostOn(ports, { STORE: 'sqlite', DATA_DIR: dataDir });
    };
    killLoop('the Waypost process on sqlite', KILLS, 20261203, {
      async setUp() {
        dataDir = mkdtempSync(join(tmpdir(), 'waypost-kill-'));
        ports = { admin: await freePort(), gateway: await freePort() };
        await start();
        return { target: originsOf(wp!), others: [] };
      },
      kill: () => kill(wp!.child, 'SIGKILL').then(() => undefined),
      goOnMs: 0,
      recover: start,
      async tearDown() {
        if (wp) await kill(wp.child, 'SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      },
      indeterminate: NO_STATUS,
      cutsEveryRound: true,
    });
  }

  /** Two Waypost nodes (A, the registrants', and B) on a three-member etcd cluster. */
  function onEtcd(prefix: string) {
    let cluster: EtcdCluster;
    let dataDir: string;
    const ports = new Map<string, { admin: number; gateway: number }>();
    const nodes = new Map<string, WaypostProcess>();
    const startNode = async (name: string) => {
      nodes.set(
        name,
        await waypostOn(ports.get(name)!, {
          STORE: 'etcd',
          ETCD_ENDPOINTS: cluster.endpoints,
          ETCD_PREFIX: prefix,
          NODE_ID: name,
          NODE_TTL: '3s',
          HEALTH_CHECK_INTERVAL: '500ms',
          DATA_DIR: join(dataDir, name),
        }),
      );
    };
    return {
      cluster: () => cluster,
      startNode,
      node: (name: string) => nodes.get(name)!,
      async setUp() {
        if (!HAVE_ETCD)
          throw new Error('etcd is not installed: apt-get install etcd-server etcd-client');
        dataDir = mkdtempSync(join(tmpdir(), 'waypost-kill-etcd-'));
        cluster = await EtcdCluster.start(3);
        for (const name of ['a', 'b'])
          ports.set(name, { admin: await freePort(), gateway: await freePort() });
        await Promise.all(['a', 'b'].map(startNode));
        return { target: originsOf(nodes.get('a')!), others: [originsOf(nodes.get('b')!)] };
      },
      async tearDown() {
        for (const wp of nodes.values()) await kill(wp.child, 'SIGKILL');
        await cluster?.destroy();
        rmSync(dataDir, { recursive: true, force: true });
      },
      indeterminate: new Set([503]),
      storeIndexes() {
        // A service's index is the mod revision of its `services/<type>` key (etcd.store.ts).
        const services = `${prefix}registry/services/`;
        const listed = JSON.parse(cluster.etcdctl('get', '--prefix', services, '-w', 'json')) as {
          kvs?: { key: string; mod_revision: number }[];
        };
        return Object.fromEntries(
          (listed.kvs ?? []).map((kv) => [
            Buffer.from(kv.key, 'base64').toString().slice(services.length),
            kv.mod_revision,
          ]),
        );
      },
    };
  }

  {
    const fleet = onEtcd('/waypost-kill/node/');
    killLoop('a Waypost node on etcd', KILLS, 20261204, {
      ...fleet,
      kill: () => kill(fleet.node('a').child, 'SIGKILL').then(() => undefined),
      goOnMs: 0,
      recover: () => fleet.startNode('a'),
      cutsEveryRound: true,
    });
  }

  {
    const fleet = onEtcd('/waypost-kill/leader/');
    let killed = -1;
    killLoop('the etcd leader', LEADER_KILLS, 20261205, {
      ...fleet,
      async kill() {
        killed = fleet.cluster().leader();
        await fleet.cluster().stop(killed, 'SIGKILL');
      },
      // Through the election and after it: two members of three keep a quorum.
      goOnMs: 2_000,
      recover: () => fleet.cluster().restart(killed),
      cutsEveryRound: false,
    });
  }
});
