import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { sleep } from './helpers/fake-service';
import { REGISTRATION_KEY, ADMIN_KEY } from './helpers/start-waypost';
import { kill, rssMiB, spawnLoadTarget, WaypostProcess } from './helpers/waypost-process';

/** The registry's memory aim: 10,000 instances in at most 150 MB RSS. */
const INSTANCES = 10_000;
const AIM_MB = 150;
const CONCURRENCY = 32;
const TRIMMED = /heap trimmed while idle: \d+ → \d+ MiB in \d+ ms/g;

const trims = (output: string) => output.match(TRIMMED)?.length ?? 0;

/**
 * The idle heap trim on the built process: after a burst of registrations V8 keeps the garbage it
 * promoted for minutes (its memory reducer sees a server's timers as activity); Waypost asks for a
 * collection once it is quiet, so RSS comes back near what the instances hold.
 */
describe('memory after a burst of registrations', () => {
  let dataDir: string;
  let wp: WaypostProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'waypost-memory-'));
    wp = await spawnLoadTarget(dataDir);
  });

  afterAll(async () => {
    await kill(wp.child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`gives back what ${INSTANCES} registrations left behind once quiet`, async () => {
    await sleep(5_000); // start-up's own garbage trimmed
    const idle = rssMiB(wp.child.pid!);
    const trimsBefore = trims(wp.output());
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < INSTANCES) {
          const i = next++;
          const answer = await request(`${wp.admin}/service`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${REGISTRATION_KEY}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({
              serviceType: `svc-${i % 1000}`,
              host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
              port: 3000,
              healthCheck: { type: 'none' },
              metadata: { build: String(i) },
            }),
          });
          await answer.body.dump();
          expect(answer.statusCode).toBe(201);
        }
      }),
    );
    const burst = rssMiB(wp.child.pid!);
    // Right after, RSS may already be under the aim (a small young generation, NODE_FLAGS): what is
    // judged is the process once it has trimmed what the burst left behind.
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      if (trims(wp.output()) > trimsBefore) break;
      await sleep(250);
    }
    expect(trims(wp.output())).toBeGreaterThan(trimsBefore);
    await sleep(500); // the pages the collection freed go back to the system
    // The instances hold about 25 MB of heap.
    const bound = Math.min(AIM_MB, idle + 50);
    const settled = rssMiB(wp.child.pid!);
    process.stdout.write(
      `memory: idle ${idle.toFixed(0)} MB, right after ${INSTANCES} registrations ${burst.toFixed(0)} MB, quiet ${settled.toFixed(0)} MB\n`,
    );
    expect(settled).toBeLessThanOrEqual(bound);
    // Still serving, with every instance.
    const listed = await request(`${wp.admin}/services/svc-7`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(((await listed.body.json()) as { instances: unknown[] }).instances).toHaveLength(10);
  }, 60_000);

  it('logs each trim, and trims nothing with HEAP_TRIM=false', async () => {
    // The burst above was trimmed, and start-up before it.
    expect(trims(wp.output())).toBeGreaterThanOrEqual(2);
    const offDir = mkdtempSync(join(tmpdir(), 'waypost-memory-off-'));
    const off = await spawnLoadTarget(offDir, { HEAP_TRIM: 'false' });
    try {
      await sleep(5_000); // two looks at a quiet process whose heap grew while it started
      expect(off.output()).not.toContain('heap trimmed');
    } finally {
      await kill(off.child, 'SIGKILL');
      rmSync(offDir, { recursive: true, force: true });
    }
  }, 30_000);
});
