import { EventEmitter } from 'node:events';
import type { Etcd3 } from 'etcd3';
import { waitFor } from '../../test/e2e/helpers/fake-service';
import { FollowedKey, FollowerSink, KeyEvent, PrefixFollower } from './prefix-follower';

/** Just what the follower asks of etcd3: a read of the prefix and watchers it can feed. */
class FakeEtcd {
  revision = 5;
  readonly watchers: (EventEmitter & { cancel: jest.Mock })[] = [];
  reads = 0;

  getAll() {
    return {
      prefix: () => ({
        exec: async () => {
          this.reads++;
          return { header: { revision: String(this.revision) }, kvs: [] };
        },
      }),
    };
  }

  watch() {
    const builder = {
      prefix: () => builder,
      startRevision: () => builder,
      create: async () => {
        const watcher = Object.assign(new EventEmitter(), { cancel: jest.fn(async () => {}) });
        this.watchers.push(watcher);
        return watcher;
      },
    };
    return builder;
  }

  /** What etcd3's WatchManager does with a response: emit it, rethrowing a listener's error later. */
  send(revision: number, key: string): void {
    const watcher = this.watchers[this.watchers.length - 1];
    const response = {
      header: { revision: String(revision) },
      events: [
        {
          type: 'Put',
          kv: {
            key: Buffer.from(`p/${key}`),
            value: Buffer.from('{}'),
            mod_revision: String(revision),
          },
        },
      ],
    };
    try {
      watcher.emit('data', response);
    } catch (error) {
      setImmediate(() => {
        throw error;
      });
    }
  }
}

describe('PrefixFollower', () => {
  it('reads everything again, instead of ending the process, when the sink cannot take a change', async () => {
    const etcd = new FakeEtcd();
    const delivered: number[] = [];
    let snapshots = 0;
    const sink: FollowerSink = {
      snapshot: (_entries: FollowedKey[], revision: number) => {
        snapshots++;
        delivered.push(revision);
      },
      events: (revision: number, events: KeyEvent[]) => {
        if (events.some((event) => event.type === 'put' && event.entry.key === 'bad')) {
          throw new TypeError('cannot apply');
        }
        delivered.push(revision);
      },
    };
    const trouble: string[] = [];
    const follower = new PrefixFollower(etcd as unknown as Etcd3, 'p/', sink, (m) =>
      trouble.push(m),
    );
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      await follower.start();
      await waitFor(() => etcd.watchers.length === 1);
      etcd.send(6, 'good');
      etcd.revision = 7;
      etcd.send(7, 'bad');
      // Read again after the follower's first pause (100 ms), and watching again from there.
      await waitFor(() => etcd.watchers.length === 2, 2_000);
      expect(uncaught).toEqual([]);
      expect(trouble).toEqual([
        expect.stringMatching(/a watched change failed to apply \(TypeError: cannot apply\)/),
      ]);
      expect(etcd.reads).toBe(2);
      expect(etcd.watchers).toHaveLength(2);
      expect(snapshots).toBe(2);
      expect(delivered).toEqual([5, 6, 7]);
      expect(follower.at).toBe(7);
    } finally {
      process.off('uncaughtException', onUncaught);
      await follower.stop();
    }
  });

  it('reads again when etcd ends the watch itself, and does not cancel what etcd already ended', async () => {
    const etcd = new FakeEtcd();
    const sink: FollowerSink = { snapshot: () => undefined, events: () => undefined };
    const trouble: string[] = [];
    const follower = new PrefixFollower(etcd as unknown as Etcd3, 'p/', sink, (m) =>
      trouble.push(m),
    );
    try {
      await follower.start();
      await waitFor(() => etcd.watchers.length === 1);
      // What etcd3 does with a cancel etcd sent (a compaction): drops the watcher, then emits.
      etcd.watchers[0].emit('error', new Error('Watcher canceled: '));
      await waitFor(() => etcd.watchers.length === 2, 2_000);
      expect(trouble).toEqual([expect.stringMatching(/etcd watch ended .*reading p\/ again/)]);
      expect(etcd.reads).toBe(2);
      expect(etcd.watchers[0].cancel).not.toHaveBeenCalled();
      // A watch this process leaves is cancelled, as before.
      etcd.watchers[1].emit('disconnected', new Error('gone'));
      await waitFor(() => etcd.watchers.length === 3, 2_000);
      expect(etcd.watchers[1].cancel).toHaveBeenCalledTimes(1);
    } finally {
      await follower.stop();
    }
  });
});
