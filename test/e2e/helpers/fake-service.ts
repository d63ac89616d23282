import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  AddressInfo,
  createServer as createTcpServer,
  Server as TcpServer,
  Socket,
} from 'node:net';

export type FakeMode = 'ok' | 'fail' | 'hang' | 'reset';

/** A real HTTP service on port 0 whose health answer the test controls, counting what it receives. */
export interface FakeService {
  url: string;
  port: number;
  mode: FakeMode;
  /** Requests received per path. */
  hits: Map<string, number>;
  hitsOf(path: string): number;
  close(): Promise<void>;
}

export async function startFakeService(
  handler?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<FakeService> {
  const sockets = new Set<Socket>();
  const service = {
    mode: 'ok' as FakeMode,
    hits: new Map<string, number>(),
    hitsOf(path: string) {
      return this.hits.get(path) ?? 0;
    },
  } as FakeService;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    service.hits.set(path, (service.hits.get(path) ?? 0) + 1);
    if (service.mode === 'hang') return; // never answers
    if (service.mode === 'reset') return req.socket.destroy();
    if (handler) return handler(req, res);
    res.writeHead(service.mode === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: service.mode }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  service.port = port;
  service.url = `http://127.0.0.1:${port}`;
  service.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return service;
}

/** A bare TCP listener for tcp checks; `close` stops it, `listen` starts it again on the same port. */
export async function startTcpListener(
  port = 0,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `probe` answers truthy; fails with the last answer after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  timeoutMs = 5_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!last) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs}ms (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    last = await probe();
  }
  return last as NonNullable<T>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
