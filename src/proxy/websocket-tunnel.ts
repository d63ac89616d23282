import { IncomingMessage, request } from 'node:http';
import { request as requestTls } from 'node:https';
import { Duplex } from 'node:stream';
import { Upstream } from './balancers';

/**
 * Carries a WebSocket upgrade to a backend: sends the client's handshake (with the gateway's
 * forwarding headers), relays the backend's 101 and then pipes bytes both ways. A backend that
 * answers anything but 101 has its answer relayed and the connection closed.
 */
export function tunnelUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  upstream: Upstream,
  path: string,
  headers: Record<string, string | string[]>,
  onFailure: () => void,
  ca: string[] | undefined,
): void {
  const url = new URL(upstream.origin);
  const secure = url.protocol === 'https:';
  const outgoing = (secure ? requestTls : request)({
    host: url.hostname,
    port: url.port || (secure ? 443 : 80),
    ...(secure && ca !== undefined && { ca }),
    method: 'GET',
    path: upstream.basePath + path,
    headers: {
      ...headers,
      connection: 'Upgrade',
      upgrade: String(req.headers.upgrade ?? 'websocket'),
    },
  });
  outgoing.on('upgrade', (response, backend, backendHead) => {
    const lines = [`HTTP/1.1 101 ${response.statusMessage ?? 'Switching Protocols'}`];
    for (let i = 0; i < response.rawHeaders.length; i += 2)
      lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
    client.write(lines.join('\r\n') + '\r\n\r\n');
    if (backendHead.length > 0) client.write(backendHead);
    if (head.length > 0) backend.write(head);
    backend.on('error', () => client.destroy());
    client.on('error', () => backend.destroy());
    backend.pipe(client).pipe(backend);
  });
  outgoing.on('response', (response) => {
    const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage ?? ''}`];
    for (let i = 0; i < response.rawHeaders.length; i += 2)
      lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
    client.write(lines.join('\r\n') + '\r\n\r\n');
    response.pipe(client);
  });
  outgoing.on('error', () => {
    onFailure();
    client.end(
      'HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"statusCode":502,"error":"bad gateway","message":"the backend refused the WebSocket upgrade","code":"BAD_GATEWAY"}',
    );
  });
  outgoing.end();
}
