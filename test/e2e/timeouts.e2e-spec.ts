import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { request } from 'undici';
import { aRegistration } from '../factories';
import { waitFor } from './helpers/fake-service';
import { bearer, call } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

/** A backend that never answers /hang, and answers /stall's head and first chunk, then nothing. */
function startStallingBackend(): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/stall')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Every promised timeout is honoured to within 50 ms plus 10%: a 300 ms route timeout answers 504
 * after 300–380 ms, not after undici's coarse second. Three tries each, the median judged (one slow
 * turn of a busy machine's event loop is not the gateway's timer).
 */
describe('timeouts', () => {
  let wp: RunningWaypost;
  let backend: Server;

  beforeAll(async () => {
    backend = await startStallingBackend();
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    wp = await startWaypost(
      { PROXY_TIMEOUT: '400ms', HEALTH_CHECK_TIMEOUT: '300ms', HEALTH_CHECK_INTERVAL: '1s' },
      {
        routes: [
          { path: '/short', backend: url, timeout: '300ms', strip_prefix: true },
          { path: '/default', backend: url, strip_prefix: true },
        ],
      },
    );
  });

  afterAll(async () => {
    await wp.cleanup();
    backend.closeAllConnections();
    await new Promise((resolve) => backend.close(resolve));
  });

  async function timed(path: string): Promise<{ ms: number; status: number; body: string }> {
    const started = performance.now();
    const response = await request(`${wp.gateway}${path}`);
    let body = '';
    try {
      body = await response.body.text();
    } catch {
      body = '<cut>';
    }
    return { ms: performance.now() - started, status: response.statusCode, body };
  }

  it.each([
    ['/short/hang', 300],
    ['/default/hang', 400],
  ])('answers %s with 504 after its timeout (%i ms), within 50 ms + 10%', async (path, timeout) => {
    const tries = [];
    for (let i = 0; i < 3; i++) tries.push(await timed(path));
    for (const t of tries) {
      expect(t.status).toBe(504);
      expect(JSON.parse(t.body)).toMatchObject({
        code: 'GATEWAY_TIMEOUT',
        message: `the backend did not answer within ${timeout}ms`,
      });
      expect(t.ms).toBeGreaterThanOrEqual(timeout - 5);
    }
    expect(median(tries.map((t) => t.ms))).toBeLessThanOrEqual(timeout + 50 + timeout / 10);
  });

  it('cuts an answer whose body stalls for the route timeout', async () => {
    const tries = [];
    for (let i = 0; i < 3; i++) tries.push(await timed('/short/stall'));
    for (const t of tries) {
      expect(t.status).toBe(200);
      expect(t.body).toBe('<cut>');
      expect(t.ms).toBeGreaterThanOrEqual(295);
    }
    expect(median(tries.map((t) => t.ms))).toBeLessThanOrEqual(300 + 50 + 30);
  });

  it('fails a health check whose backend hangs after HEALTH_CHECK_TIMEOUT, within 50 ms + 10%', async () => {
    const port = (backend.address() as AddressInfo).port;
    const registered = await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aRegistration({
        serviceType: 'hanging',
        port,
        healthCheck: { type: 'http', path: '/hang' },
      }),
    });
    expect(registered.status).toBe(201);
    const times: number[] = [];
    let seen = '';
    await waitFor(
      async () => {
        const record = (
          await call('GET', `${wp.admin}/service/${registered.body.serviceId}`, {
            headers: bearer(ADMIN_KEY),
          })
        ).body;
        const stamp = `${record.lastCheckAt}`;
        if (record.lastError && stamp !== seen) {
          seen = stamp;
          expect(record.lastError).toBe('timed out after 300ms');
          times.push(record.responseTimeMs);
        }
        return times.length >= 3;
      },
      10_000,
      50,
    );
    for (const ms of times) expect(ms).toBeGreaterThanOrEqual(295);
    expect(median(times)).toBeLessThanOrEqual(300 + 50 + 30);
  });
});
