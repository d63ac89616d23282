import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { serverConfig } from '../config/config.namespaces';
import { ProxyHandler } from './proxy.handler';
import { UpgradeHandler } from './upgrade.handler';

/**
 * Slow or silent clients are cut off: Node's own defaults would keep them for a minute or more.
 * Headers must arrive within 10 s (a stalled request body is the handler's business).
 */
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * The gateway listener: a plain node:http server, outside Nest's request pipeline, so the data plane
 * pays for no guard, pipe or interceptor. Every request goes to the ProxyHandler built at boot,
 * every upgrade to the UpgradeHandler.
 */
@Injectable()
export class GatewayServer implements OnApplicationShutdown {
  private readonly logger = new Logger(GatewayServer.name);
  private readonly server: Server;

  constructor(
    @Inject(serverConfig.KEY) private readonly settings: ConfigType<typeof serverConfig>,
    handler: ProxyHandler,
    upgrades: UpgradeHandler,
  ) {
    this.server = createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        requestTimeout: 0,
        headersTimeout: HEADERS_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        // Node checks the timeouts above every 30 s by default; every second keeps them honest.
        connectionsCheckingInterval: 1_000,
      },
      (request, response) => handler.handle(request, response),
    );
    this.server.on('upgrade', (request, socket, head) =>
      upgrades.handleUpgrade(request, socket, head),
    );
  }

  async listen(port = this.settings.gatewayPort, host = this.settings.host): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const bound = (this.server.address() as AddressInfo).port;
    this.logger.log(`gateway listening on ${host}:${bound}`);
    return bound;
  }

  /** Stops accepting, lets in-flight requests finish, then drops idle keep-alive sockets. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await closed;
  }
}
