import { EtcdCluster } from './helpers/etcd-cluster';

/**
 * With E2E_STORE=etcd the whole e2e suite runs on STORE=etcd: one etcd member for the run, each app
 * under its own ETCD_PREFIX (startWaypost). The store contract is one, so every suite passes on it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.E2E_STORE !== 'etcd') return;
  const cluster = await EtcdCluster.start(1);
  process.env.E2E_ETCD_ENDPOINTS = cluster.endpoints;
  (globalThis as { __etcd?: EtcdCluster }).__etcd = cluster;
}
