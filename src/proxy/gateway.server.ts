import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createServer, IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import {
  createServer as createH2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  ServerHttp2Session,
} from 'node:http2';
import { AddressInfo, Server as NetServer } from 'node:net';
import { createServer as createTlsServer, TLSSocket, TlsOptions } from 'node:tls';
import { MAX_HEADER_BYTES } from '../common/header-limits';
import { serverConfig } from '../config/config.namespaces';
import { CertificateStore, TLS_FLOOR } from '../tls/certificate-store';
import { GATEWAY_CERTIFICATES } from '../tls/tls.module';
import { httpsRedirect } from './https-redirect';
import { ProxyHandler } from './proxy.handler';
import { UpgradeHandler } from './upgrade.handler';

/**
 * Slow or silent clients are cut off: Node's own defaults would keep them for a minute or more.
 * Headers must arrive within 10 s (a stalled request body is the handler's business).
 */
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** An HTTP/2 connection with no stream open for this long is closed (GOAWAY), as nginx does after 75 s. */
const H2_IDLE_MS = 60_000;

const HTTP1_OPTIONS: ServerOptions = {
  maxHeaderSize: MAX_HEADER_BYTES,
  requestTimeout: 0,
  headersTimeout: HEADERS_TIMEOUT_MS,
  keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  // Node checks the timeouts above every 30 s by default; every second keeps them honest.
  connectionsCheckingInterval: 1_000,
};

const TLS_OPTIONS: TlsOptions = {
  ...TLS_FLOOR,
  // h2 first: a client offering both gets HTTP/2; one offering neither (no ALPN) gets HTTP/1.1.
  ALPNProtocols: ['h2', 'http/1.1'],
  handshakeTimeout: HEADERS_TIMEOUT_MS,
};

type Handle = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The gateway listener: a plain node:http server, outside Nest's request pipeline, so the data plane
 * pays for no guard, pipe or interceptor. Every request goes to the ProxyHandler built at boot,
 * every upgrade to the UpgradeHandler.
 *
 * With certificates it is a TLS server that hands each connection, by its ALPN protocol, to the
 * same node:http server (HTTP/1.1, upgrades) or to a node:http2 server in compatibility mode; both
 * call the one handler. Unlike http2's own `allowHTTP1`, HTTP/1.1 over TLS keeps node:http's header
 * and keep-alive limits exactly as on a plain port.
 */
@Injectable()
export class GatewayServer implements OnApplicationShutdown {
  private readonly logger = new Logger(GatewayServer.name);
  private readonly http1: Server;
  /** What listens on the gateway port: http1 itself, or the TLS server in front of both. */
  private readonly server: NetServer;
  private readonly sessions = new Set<ServerHttp2Session>();
  private redirect: Server | null = null;
  private boundPort = 0;

  constructor(
    @Inject(serverConfig.KEY) private readonly settings: ConfigType<typeof serverConfig>,
    handler: ProxyHandler,
    upgrades: UpgradeHandler,
    @Inject(GATEWAY_CERTIFICATES) private readonly certificates: CertificateStore | null,
  ) {
    const handle: Handle = (request, response) => handler.handle(request, response);
    this.http1 = createServer(HTTP1_OPTIONS, handle);
    this.http1.on('upgrade', (request, socket, head) =>
      upgrades.handleUpgrade(request, socket, head),
    );
    if (certificates === null) {
      this.server = this.http1;
      return;
    }
    // node:http starts checking header and keep-alive deadlines when it listens; this one never
    // listens itself (the TLS server hands it its connections), so it is told it does.
    this.http1.emit('listening');
    const http2 = createH2Server(
      {
        maxSessionMemory: 32,
        settings: { maxConcurrentStreams: 128, maxHeaderListSize: MAX_HEADER_BYTES },
      },
      handle as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
    );
    http2.on('session', (session) => this.track(session));
    const tls = createTlsServer(
      { ...TLS_OPTIONS, ...certificates.defaultPair, SNICallback: certificates.sniCallback },
      (socket: TLSSocket) =>
        (socket.alpnProtocol === 'h2' ? http2 : this.http1).emit('connection', socket),
    );
    // A failed or timed-out handshake only reports itself: left alone, a client that connects and
    // says nothing would hold its socket for good (Node 20 emits the timeout, closes nothing).
    tls.on('tlsClientError', (_error, socket) => socket.destroy());
    certificates.onDefaultChange = (pair) => tls.setSecureContext({ ...TLS_OPTIONS, ...pair });
    this.server = tls;
  }

  /** Binds the gateway port, and the redirect listener when there is one; answers both ports. */
  async listen(
    port = this.settings.gatewayPort,
    host = this.settings.host,
  ): Promise<{ gatewayPort: number; httpRedirectPort: number | null }> {
    this.boundPort = await bind(this.server, port, host);
    const tls = this.certificates === null ? '' : ' (TLS: HTTP/2 and HTTP/1.1)';
    this.logger.log(`gateway listening on ${host}:${this.boundPort}${tls}`);
    if (this.certificates === null) return { gatewayPort: this.boundPort, httpRedirectPort: null };
    for (const line of this.certificates.describe()) this.logger.log(`certificate ${line}`);
    this.certificates.watch(this.logger);
    const redirectPort = this.settings.httpRedirectPort;
    if (redirectPort === null) return { gatewayPort: this.boundPort, httpRedirectPort: null };
    this.redirect = createServer(
      HTTP1_OPTIONS,
      httpsRedirect(() => this.boundPort),
    );
    const bound = await bind(this.redirect, redirectPort, host);
    this.logger.log(`https redirect listening on ${host}:${bound}`);
    return { gatewayPort: this.boundPort, httpRedirectPort: bound };
  }

  /** Stops accepting, lets in-flight requests finish, then drops idle keep-alive connections. */
  async onApplicationShutdown(): Promise<void> {
    this.certificates?.stop();
    if (this.redirect?.listening) {
      this.redirect.closeAllConnections();
      this.redirect.close();
    }
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.http1.closeIdleConnections();
    // GOAWAY: each HTTP/2 connection finishes the streams it has and takes no new one.
    for (const session of this.sessions) session.close();
    if (this.server !== this.http1) this.http1.close();
    await closed;
  }

  /** An HTTP/2 connection idle (no stream open) for H2_IDLE_MS is closed; each is closed at shutdown. */
  private track(session: ServerHttp2Session): void {
    this.sessions.add(session);
    let open = 0;
    session.on('stream', (stream) => {
      open++;
      stream.once('close', () => open--);
    });
    session.setTimeout(H2_IDLE_MS, () => {
      if (open === 0) session.close();
    });
    session.once('close', () => this.sessions.delete(session));
  }
}

function bind(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
