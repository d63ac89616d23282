// npm run bench:registry — registrations/s and discovery reads/s of Waypost on one core (sqlite
// store), their p50/p99, registrations into one 5,000-instance service, and RSS with 10,000
// registered instances, against a plain node:http baseline measured in the same run. Waypost runs
// pinned to core 0; this load generator to core 1. BENCH_PROFILE=1 runs Waypost under --cpu-prof
// and prints where its CPU went over the whole run (start-up included); BENCH_NODE_ARGS passes
// flags to Waypost's node (V8's heap settings, say); BENCH_MAIN runs another build's main.js;
// BENCH_ROUNDS (3) whole runs, each on a fresh process, and their medians. At the end of a round,
// with every instance in, five forced full GCs are timed (bench/lib/full-gc-timer.cjs): the work of
// each of V8's full collections, which is what the paced p99 waits on.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize } from './lib/cpu-profile.mjs';
import { fmt, registerMany, runLoad } from './lib/load.mjs';
import { median } from './lib/wrk.mjs';
import {
  BENCH_ADMIN,
  BENCH_KEY,
  cpuSeconds,
  rssMb,
  startPinned,
  startWaypostPinned,
  stop,
} from './lib/process.mjs';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 10_000);
const TYPES = INSTANCES / 10;
const CONCURRENCY = 32;
const ONE_SERVICE = 5_000;
const READ_MS = Number(process.env.BENCH_READ_MS ?? 10_000);
// The aim's rate: registrations sent on a fixed schedule (open loop) for PACED_MS, into their own
// service types, to read the latency at that rate rather than at whatever rate 32 clients reach.
const PACE = Number(process.env.BENCH_PACE ?? 3_000);
const PACED_MS = Number(process.env.BENCH_PACED_MS ?? 5_000);
// RSS right after the burst is mostly heap V8 grew and has not given back yet; it is read again
// once the process has been idle this long (Waypost's idle heap trim runs within seconds).
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 30_000);
const SOON_MS = Math.min(5_000, SETTLE_MS);
const IDLE_MS = 5_000;
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEY = BENCH_KEY;
const ADMIN = BENCH_ADMIN;
const root = new URL('..', import.meta.url).pathname;

async function main() {
  // Shared machines are noisy: a round is a whole fresh run, and the medians of the rounds are
  // what the aims are read against (with every round shown). A profile is of one round.
  const rounds = process.env.BENCH_PROFILE ? 1 : ROUNDS;
  const results = [];
  for (let i = 0; i < rounds; i++) results.push(await round());
  const lines = [
    `registry benchmark: ${INSTANCES} instances in ${TYPES} service types, ${CONCURRENCY} connections, Waypost pinned to core 0 (sqlite store), ${rounds} round(s)`,
  ];
  results.forEach((result, i) => {
    if (rounds > 1) lines.push(`round ${i + 1}:`);
    lines.push(...result.lines);
  });
  if (rounds > 1) {
    const medianOf = (pick) => median(results.map(pick));
    lines.push(
      `medians of ${rounds} rounds: registrations ${medianOf((r) => r.registrations).toFixed(0)}/s (${medianOf((r) => r.registrationsPerCpu).toFixed(0)} per CPU-second), discovery ${medianOf((r) => r.reads).toFixed(0)}/s (${medianOf((r) => r.readsPerCpu).toFixed(0)} per CPU-second), paced ${PACE}/s p99 ${medianOf((r) => r.pacedP99).toFixed(1)} ms, RSS right after ${medianOf((r) => r.rssFull).toFixed(0)} MB, ${medianOf((r) => r.rssSoon).toFixed(0)} MB ${SOON_MS / 1000} s later, ${medianOf((r) => r.rssSettled).toFixed(0)} MB ${SETTLE_MS / 1000} s later, full GC ${medianOf((r) => r.fullGcMs).toFixed(1)} ms; baseline ${medianOf((r) => r.baseline).toFixed(0)}/s`,
    );
  }
  if (results[0].profile) {
    const { profile } = results[0];
    lines.push(
      `profile (${(profile.total / 1e6).toFixed(1)} s of CPU; figures above are slowed by it):`,
      'self time by place:',
      ...profile.places,
      'self time by function:',
      ...profile.functions,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

async function round() {
  const dataDir = mkdtempSync(join(tmpdir(), 'waypost-bench-'));
  const baseline = await startPinned({
    core: 0,
    script: join(root, 'bench/baseline-server.mjs'),
    ready: (o) => /listening on (\d+)/.exec(o),
  });
  const baselineResult = await runLoad({
    origin: `http://127.0.0.1:${baseline.match[1]}`,
    concurrency: CONCURRENCY,
    durationMs: READ_MS,
    maxRequests: 5_000_000,
    next: () => ({ method: 'GET', path: '/services/svc' }),
    expectStatus: 200,
  });
  await stop(baseline.child);

  const profiles = join(dataDir, 'profiles');
  const fullGcFile = join(dataDir, 'full-gc.json');
  const waypost = await startWaypostPinned(
    root,
    join(dataDir, 'data'),
    { FULL_GC_FILE: fullGcFile },
    {
      main: process.env.BENCH_MAIN || undefined,
      nodeArgs: [
        '--expose-gc',
        '--require',
        join(root, 'bench/lib/full-gc-timer.cjs'),
        ...NODE_ARGS,
        ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : []),
      ],
    },
  );
  const origin = waypost.origin;
  const pid = waypost.child.pid;
  // Idle means after start-up has settled: the idle heap trim gives back what loading left.
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const rssIdle = rssMb(pid);
  const heapIdle = await heapUsedMb(origin);

  const cpu0 = cpuSeconds(pid);
  const registrations = await registerMany({
    origin,
    key: KEY,
    count: INSTANCES,
    bodyOf: (i) => ({
      serviceType: `svc-${i % TYPES}`,
      host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      port: 3000,
      healthCheck: { type: 'none' },
      metadata: { build: String(i) },
      tags: ['bench'],
      version: '1.0.0',
    }),
  });
  const cpuRegistrations = cpuSeconds(pid) - cpu0;
  const rssFull = rssMb(pid);
  const heapFull = await heapUsedMb(origin);
  await new Promise((resolve) => setTimeout(resolve, SOON_MS));
  const rssSoon = rssMb(pid);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS - SOON_MS));
  const rssSettled = rssMb(pid);
  const heapSettled = await heapUsedMb(origin);

  const cpu1 = cpuSeconds(pid);
  const reads = await runLoad({
    origin,
    concurrency: CONCURRENCY,
    durationMs: READ_MS,
    maxRequests: 5_000_000,
    expectStatus: 200,
    next: (i) => ({
      method: 'GET',
      path: `/services/svc-${i % TYPES}?status=UP`,
      headers: { authorization: `Bearer ${ADMIN}` },
    }),
  });
  const cpuReads = cpuSeconds(pid) - cpu1;
  const rssAfterReads = rssMb(pid);
  // One large service: a registration must not cost more as its service grows.
  const oneService = await registerMany({
    origin,
    key: KEY,
    count: ONE_SERVICE,
    bodyOf: (i) => ({
      serviceType: 'one-large-service',
      host: `10.200.${(i >> 8) & 255}.${i & 255}`,
      port: 3000,
      healthCheck: { type: 'none' },
    }),
  });
  const paced = await registerMany({
    origin,
    key: KEY,
    count: Math.ceil((PACE * PACED_MS) / 1000),
    ratePerSec: PACE,
    concurrency: 64,
    bodyOf: (i) => ({
      serviceType: `paced-${i % TYPES}`,
      host: `10.201.${(i >> 8) & 255}.${i & 255}`,
      port: 3000 + (i >> 16),
      healthCheck: { type: 'none' },
    }),
  });
  const fullGc = await timeFullGc(pid, fullGcFile);
  await stop(waypost.child);
  const profile = process.env.BENCH_PROFILE
    ? summarize(JSON.parse(readFileSync(join(profiles, readdirSync(profiles)[0]), 'utf8')))
    : null;
  rmSync(dataDir, { recursive: true, force: true });

  // Per CPU-second: what the process did with the CPU it got, when other tenants took some of
  // the core (the wall-clock figures above are what a client saw).
  const registrationsPerCpu = registrations.requests / cpuRegistrations;
  const readsPerCpu = reads.requests / cpuReads;
  const lines = [
    `baseline node:http fixed JSON   ${fmt(baselineResult)}`,
    `registrations (POST /service)   ${fmt(registrations)}  CPU ${((cpuRegistrations / (registrations.requests / registrations.perSecond)) * 100).toFixed(0)}% of one core, ${registrationsPerCpu.toFixed(0)} per CPU-second`,
    `discovery (GET /services/:type) ${fmt(reads)}  (10 instances per answer)  CPU ${((cpuReads / (reads.requests / reads.perSecond)) * 100).toFixed(0)}% of one core, ${readsPerCpu.toFixed(0)} per CPU-second`,
    `registrations into one service  ${fmt(oneService)}  (${ONE_SERVICE} instances of one type)`,
    `registrations paced at ${PACE}/s  ${fmt(paced)}  (open loop, ${PACED_MS / 1000} s)`,
    `ratios to baseline: registrations ${(registrations.perSecond / baselineResult.perSecond).toFixed(2)}, discovery ${(reads.perSecond / baselineResult.perSecond).toFixed(2)}`,
    `full GC with ${INSTANCES + ONE_SERVICE + paced.requests} instances: ${fmtMs(median(fullGc.ms))} ms (median of ${fullGc.ms.length} forced: ${fullGc.ms.map(fmtMs).join(', ')}), heap in use ${fullGc.heapUsedMb.toFixed(1)} MB`,
    `RSS: idle ${rssIdle.toFixed(0)} MB, with ${INSTANCES} instances ${rssFull.toFixed(0)} MB right after them, ${rssSoon.toFixed(0)} MB ${SOON_MS / 1000} s later and ${rssSettled.toFixed(0)} MB ${SETTLE_MS / 1000} s later (V8 heap in use ${heapIdle.toFixed(0)} MB idle, ${heapFull.toFixed(0)} then ${heapSettled.toFixed(0)} MB), after reads ${rssAfterReads.toFixed(0)} MB${NODE_ARGS.length ? ` (node ${NODE_ARGS.join(' ')})` : ''}`,
  ];
  return {
    lines,
    profile,
    baseline: baselineResult.perSecond,
    registrations: registrations.perSecond,
    registrationsPerCpu,
    reads: reads.perSecond,
    readsPerCpu,
    pacedP99: paced.p99,
    rssFull,
    rssSoon,
    rssSettled,
    fullGcMs: median(fullGc.ms),
  };
}

const fmtMs = (ms) => ms.toFixed(1);

/** Asks the preloaded timer for its forced full GCs and waits for what it writes. */
async function timeFullGc(pid, file) {
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no full-GC timing in ${file}: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The V8 heap in use, from /metrics: what the instances hold, apart from the heap V8 keeps free. */
async function heapUsedMb(origin) {
  const response = await fetch(`${origin}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  const line = /^nodejs_heap_size_used_bytes (\d+)/m.exec(await response.text());
  return Number(line[1]) / 1048576;
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
