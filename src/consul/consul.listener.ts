import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { MAX_HEADER_BYTES } from '../common/header-limits';
import { AddressInfo } from 'node:net';
import { ADMIN_HEADERS_TIMEOUT_MS, ADMIN_IDLE_SOCKET_MS } from '../common/admin-limits';
import type { ServerSettings } from '../config/settings';

/**
 * CONSUL_PORT: Consul's routes at the root of their own listener, so that clients left at
 * Consul's default address need no change. Requests go through the admin app's own router, with
 * its guards, parsers and limits; only `/v1/…` is served here.
 */
export class ConsulListener {
  private server: Server | null = null;

  constructor(
    private readonly admin: NestFastifyApplication,
    private readonly settings: Pick<ServerSettings, 'consulPort' | 'host'>,
  ) {}

  async listen(): Promise<number | null> {
    if (this.settings.consulPort === null) return null;
    const fastify = this.admin.getHttpAdapter().getInstance();
    const server = createServer(
      { headersTimeout: ADMIN_HEADERS_TIMEOUT_MS, maxHeaderSize: MAX_HEADER_BYTES },
      (request: IncomingMessage, response: ServerResponse) => {
        if (request.url?.startsWith('/v1/')) return fastify.routing(request, response);
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      },
    );
    server.keepAliveTimeout = ADMIN_IDLE_SOCKET_MS;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.settings.consulPort as number, this.settings.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    new Logger('Waypost').log(`Consul API listening on ${this.settings.host}:${port}`);
    return port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Blocking queries parked here answer when the registry closes; anything left is cut.
    const cut = setTimeout(() => server.closeAllConnections(), 5_000);
    await closed;
    clearTimeout(cut);
  }
}
