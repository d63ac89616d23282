import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/** True where Debian's etcd-server is installed (.ci/run installs it). */
export const HAVE_ETCD = spawnSync('etcd', ['--version']).status === 0;

interface Member {
  name: string;
  clientUrl: string;
  peerUrl: string;
  process: ChildProcess | null;
  output: string;
}

/**
 * A real etcd cluster on loopback for a test: its own ports and data dirs, members that can be
 * stopped, killed and started again, and etcd's own `etcdctl` for what an operator would do
 * (compaction).
 */
export class EtcdCluster {
  private constructor(
    private readonly members: Member[],
    private readonly dataRoot: string,
    private readonly token: string,
  ) {}

  static async start(size = 3): Promise<EtcdCluster> {
    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      members.push({
        name: `m${i}`,
        clientUrl: `http://127.0.0.1:${await freePort()}`,
        peerUrl: `http://127.0.0.1:${await freePort()}`,
        process: null,
        output: '',
      });
    }
    const cluster = new EtcdCluster(
      members,
      mkdtempSync(join(tmpdir(), 'waypost-etcd-')),
      `waypost-test-${process.pid}-${Date.now()}`,
    );
    for (let i = 0; i < size; i++) cluster.launch(i);
    await cluster.waitHealthy(members.map((_, i) => i));
    return cluster;
  }

  /** ETCD_ENDPOINTS for Waypost. */
  get endpoints(): string {
    return this.members.map((member) => member.clientUrl).join(',');
  }

  endpointOf(i: number): string {
    return this.members[i]!.clientUrl;
  }

  /** Stops member `i` (SIGTERM, or SIGKILL) and waits until it exited. */
  async stop(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.members[i]!.process;
    this.members[i]!.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Starts member `i` again on its data dir and waits until the cluster answers through it. */
  async restart(i: number): Promise<void> {
    this.launch(i);
    await this.waitHealthy([i]);
  }

  /** Starts every member a test stopped, so the next test finds the whole cluster. */
  async startStopped(): Promise<void> {
    const stopped = this.members.flatMap((member, i) => (member.process ? [] : [i]));
    for (const i of stopped) this.launch(i);
    await this.waitHealthy(stopped);
  }

  /** etcdctl against the running members. */
  etcdctl(...args: string[]): string {
    const endpoints = this.members
      .filter((member) => member.process)
      .map((member) => member.clientUrl)
      .join(',');
    const result = spawnSync('etcdctl', ['--endpoints', endpoints, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  /** The cluster's current revision. */
  revision(): number {
    const status = JSON.parse(this.etcdctl('endpoint', 'status', '-w', 'json')) as {
      Status: { header: { revision: number } };
    }[];
    return Math.max(...status.map((s) => s.Status.header.revision));
  }

  /** The index of the member that leads now (as the running members report it). */
  leader(): number {
    const status = JSON.parse(this.etcdctl('endpoint', 'status', '-w', 'json')) as {
      Endpoint: string;
      Status: { header: { member_id: number }; leader: number };
    }[];
    const leading = status.find((s) => s.Status.header.member_id === s.Status.leader);
    if (!leading) throw new Error('no member says it leads');
    return this.members.findIndex((member) => member.clientUrl === leading.Endpoint);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.stop(i, 'SIGKILL')));
    rmSync(this.dataRoot, { recursive: true, force: true });
  }

  private launch(i: number): void {
    const member = this.members[i]!;
    const initialCluster = this.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    member.output = '';
    const child = spawn(
      'etcd',
      [
        '--name',
        member.name,
        '--data-dir',
        join(this.dataRoot, member.name),
        '--listen-client-urls',
        member.clientUrl,
        '--advertise-client-urls',
        member.clientUrl,
        '--listen-peer-urls',
        member.peerUrl,
        '--initial-advertise-peer-urls',
        member.peerUrl,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        this.token,
        '--max-txn-ops',
        '512',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => (member.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (member.output += chunk.toString()));
    member.process = child;
  }

  private async waitHealthy(indexes: number[], timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const i of indexes) {
      const member = this.members[i]!;
      for (;;) {
        try {
          const response = await fetch(`${member.clientUrl}/health`);
          const body = (await response.json()) as { health?: string };
          if (body.health === 'true') break;
        } catch {
          // not listening yet
        }
        if ((member.process && member.process.exitCode !== null) || Date.now() > deadline) {
          throw new Error(`etcd ${member.name} did not become healthy:\n${member.output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}
