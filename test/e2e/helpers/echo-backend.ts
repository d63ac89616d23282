import { createHash } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
}

/**
 * A real backend that answers every request with what it received: method, path, headers, body
 * size and hash. `name` tells instances apart; `hang` makes it never answer.
 */
export interface EchoBackend {
  name: string;
  url: string;
  port: number;
  seen: Seen[];
  hang: boolean;
  /** Status of every answer but /health. */
  status: number;
  close(): Promise<void>;
}

export async function startEchoBackend(name: string): Promise<EchoBackend> {
  const sockets = new Set<Socket>();
  const backend = { name, seen: [] as Seen[], hang: false, status: 200 } as EchoBackend;
  const server: Server = createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        bytes,
        sha256: hash.digest('hex'),
      };
      backend.seen.push(seen);
      if (backend.hang && req.url !== '/health') return;
      const body = JSON.stringify({ backend: name, ...seen });
      res.writeHead(req.url === '/health' ? 200 : backend.status, {
        'content-type': 'application/json',
        'x-backend': name,
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as AddressInfo).port;
  backend.url = `http://127.0.0.1:${backend.port}`;
  backend.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return backend;
}
