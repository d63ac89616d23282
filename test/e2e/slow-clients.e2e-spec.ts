import { connect, Socket } from 'node:net';
import { aCompatRoute } from '../factories';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { bearer, call, send } from './helpers/http';
import { REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

/** Opens a connection, sends `partial`, and answers how long until the server closed it. */
function closedAfter(base: string, partial: string): Promise<number> {
  const { port } = new URL(base);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), '127.0.0.1', () => socket.write(partial));
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Date.now() - started));
  });
}

describe('slow clients', () => {
  let wp: RunningWaypost;
  let backend: EchoBackend;

  beforeAll(async () => {
    backend = await startEchoBackend('patient');
    wp = await startWaypost();
    await call('POST', `${wp.admin}/register`, {
      headers: bearer(REGISTRATION_KEY),
      body: aCompatRoute({ host: 'slow.example.com', path: '/', backend: backend.url }),
    });
  });
  afterAll(async () => {
    await wp.cleanup();
    await backend.close();
  });

  it('cuts off slow headers and stalled bodies on both ports within seconds, serving others meanwhile', async () => {
    const slowAdminHeaders = closedAfter(wp.admin, 'GET /health HTTP/1.1\r\nHost: a\r\n');
    const slowGatewayHeaders = closedAfter(
      wp.gateway,
      'GET / HTTP/1.1\r\nHost: slow.example.com\r\n',
    );
    const stalledGatewayBody = closedAfter(
      wp.gateway,
      'POST /upload HTTP/1.1\r\nHost: slow.example.com\r\nContent-Length: 1000\r\n\r\nabc',
    );
    const stalledAdminBody = closedAfter(
      wp.admin,
      `POST /register HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nAuthorization: Bearer ${REGISTRATION_KEY}\r\n\r\n{"host"`,
    );
    // Everyone else is served while those hang.
    for (let i = 0; i < 5; i++) {
      expect((await call('GET', `${wp.admin}/health/live`)).status).toBe(200);
      expect((await send('GET', `${wp.gateway}/ok`, { host: 'slow.example.com' })).status).toBe(
        200,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const times = await Promise.all([
      slowAdminHeaders,
      slowGatewayHeaders,
      stalledGatewayBody,
      stalledAdminBody,
    ]);
    for (const ms of times) {
      expect(ms).toBeGreaterThan(5_000);
      expect(ms).toBeLessThan(17_000);
    }
  }, 25_000);
});
