import type { EtcdCluster } from './helpers/etcd-cluster';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __etcd?: EtcdCluster }).__etcd?.destroy();
}
