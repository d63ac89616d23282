import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { aRegistration } from '../factories';
import { waitFor } from './helpers/fake-service';
import { bearer, call } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

describe('WebSocket through the gateway', () => {
  let wp: RunningWaypost;
  let server: Server;
  let sockets: WebSocketServer;
  let forwardedFor: string | undefined;

  beforeAll(async () => {
    server = createServer((req, res) => res.end('ok')); // answers the health checks
    sockets = new WebSocketServer({ server });
    sockets.on('connection', (socket, req) => {
      forwardedFor = req.headers['x-forwarded-for'] as string | undefined;
      socket.on('message', (data) => socket.send(`echo:${data.toString()}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    wp = await startWaypost();
    const port = (server.address() as AddressInfo).port;
    const registered = await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aRegistration({
        serviceType: 'chat',
        port,
        healthCheck: { type: 'http' },
        routes: [{ path: '/ws', websocket: true }, { path: '/plain' }],
      }),
    });
    await waitFor(
      async () =>
        (
          await call('GET', `${wp.admin}/service/${registered.body.id}`, {
            headers: bearer(ADMIN_KEY),
          })
        ).body.status === 'UP',
    );
  });
  afterAll(async () => {
    await wp.cleanup();
    sockets.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const open = (path: string) => new WebSocket(`${wp.gateway.replace('http', 'ws')}${path}`);

  it('echoes messages both ways on a route with websocket: true', async () => {
    const client = open('/ws/room-1');
    await new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    });
    const replies: string[] = [];
    const received = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        replies.push(data.toString());
        if (replies.length === 3) resolve();
      }),
    );
    for (const text of ['a', 'b', 'c']) client.send(text);
    await received;
    expect(replies).toEqual(['echo:a', 'echo:b', 'echo:c']);
    expect(forwardedFor).toBe('127.0.0.1');
    client.close();
  });

  it('refuses upgrades on other routes and where no route matches', async () => {
    const status = (path: string) =>
      new Promise<number>((resolve) => {
        const client = open(path);
        client.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        client.once('open', () => resolve(101));
        client.once('error', () => undefined);
      });
    expect(await status('/plain')).toBe(403);
    expect(await status('/nowhere')).toBe(404);
  });
});
