import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 15_000;

/**
 * The first port the kernel hands out to outgoing connections. A port below it can only be
 * taken by someone who binds it on purpose; a port from `listen(0)` lies inside it, where any
 * outgoing connection (thousands in a kill loop) can take it before the test's server binds it,
 * or while a killed member is down (CI saw etcd fail on "address already in use").
 */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > LOWEST + 1_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const HIGHEST = ephemeralLow() - 1;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port free on 127.0.0.1 right now, outside the kernel's ephemeral range, for a server the test
 * starts that cannot take port 0 (or must come back on the same port after a kill).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${HIGHEST}`);
}
