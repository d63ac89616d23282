import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, WaypostApp } from '../../../src/app.factory';
import { parseSettings } from '../../../src/config/settings.schema';

export const REGISTRATION_KEY = 'test-registration-key-0123456789';
export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface RunningWaypost {
  app: WaypostApp;
  admin: string;
  gateway: string;
  /** The CONSUL_PORT listener, when the suite asked for one. */
  consul: string | null;
  /** The GATEWAY_HTTP_REDIRECT_PORT listener, when the suite asked for one. */
  httpRedirect: string | null;
  dataDir: string;
  /** Closes the app; the data dir stays until `cleanup`. */
  close(): Promise<void>;
  cleanup(): Promise<void>;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'waypost-e2e-'));
}

let apps = 0;

/**
 * The store a suite runs on unless it asks for one: memory; sqlite in the app's temporary DATA_DIR
 * with E2E_STORE=sqlite; with E2E_STORE=etcd the run's etcd member under a prefix of this app's own.
 */
function defaultStore(): Record<string, string> {
  if (process.env.E2E_STORE === 'sqlite') return { STORE: 'sqlite' };
  if (process.env.E2E_STORE !== 'etcd') return { STORE: 'memory' };
  return {
    STORE: 'etcd',
    ETCD_ENDPOINTS: process.env.E2E_ETCD_ENDPOINTS as string,
    ETCD_PREFIX: `/e2e/${process.pid}-${Date.now()}-${++apps}/`,
  };
}

/**
 * Boots the real app through createApp() on ephemeral ports, with the memory store (and a fresh
 * temporary DATA_DIR for its keys) unless told otherwise: suites about surviving a restart ask for
 * sqlite. Settings go through the same validation as in production.
 */
export async function startWaypost(
  env: Record<string, string> = {},
  file: Record<string, unknown> = {},
): Promise<RunningWaypost> {
  const dataDir = env.DATA_DIR ?? tempDataDir();
  const settings = parseSettings({
    env: {
      ADMIN_PORT: '0',
      GATEWAY_PORT: '0',
      HOST: '127.0.0.1',
      ...(env.STORE === undefined ? defaultStore() : {}),
      REGISTRATION_KEY,
      ADMIN_KEY,
      REGISTRATION_RATE_LIMIT: '100000',
      ...env,
      DATA_DIR: dataDir,
    },
    file,
  });
  const app = await createApp(settings, { logger: false });
  const { adminPort, gatewayPort, consulPort, httpRedirectPort } = await app.listen();
  const scheme = settings.server.gatewayTls === null ? 'http' : 'https';
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  return {
    app,
    admin: `http://127.0.0.1:${adminPort}`,
    gateway: `${scheme}://127.0.0.1:${gatewayPort}`,
    consul: consulPort === null ? null : `http://127.0.0.1:${consulPort}`,
    httpRedirect: httpRedirectPort === null ? null : `http://127.0.0.1:${httpRedirectPort}`,
    dataDir,
    close,
    async cleanup() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
