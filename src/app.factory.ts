import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { errorCodes, LogController } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import {
  ADMIN_BODY_LIMIT,
  ADMIN_HEADERS_TIMEOUT_MS,
  ADMIN_IDLE_SOCKET_MS,
  ADMIN_REQUEST_TIMEOUT_MS,
} from './common/admin-limits';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { toErrorBody } from './common/errors/error-body';
import { MAX_HEADER_BYTES, MAX_HEADER_COUNT, tooManyHeaders } from './common/header-limits';
import { parseJsonBody } from './common/json-body';
import { createValidationPipe } from './common/validation';
import { Settings } from './config/settings';
import { lazyRequestLogger } from './logging/lazy-request-logger';
import { NestPinoLogger } from './logging/nest-pino.logger';
import { pathOnly } from './logging/redaction';
import { createRootLogger, silentLogger } from './logging/root-logger';
import { requestIdOf } from './proxy/forward-headers';
import { randomUUID } from 'node:crypto';
import type { Logger as Pino } from 'pino';
import { setupSwagger } from './swagger';
import { ConsulListener } from './consul/consul.listener';
import { GatewayServer } from './proxy/gateway.server';
import { DiscoveryFastPath } from './registry/discovery-fast-path';
import { CertificateStore } from './tls/certificate-store';
import { UpstreamTrust } from './tls/upstream-trust';

export interface WaypostApp {
  readonly admin: NestFastifyApplication;
  readonly settings: Settings;
  /** Binds the listeners (port 0 picks a free one) and answers the ports actually bound. */
  listen(): Promise<{
    adminPort: number;
    gatewayPort: number;
    consulPort: number | null;
    httpRedirectPort: number | null;
  }>;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  /** false silences every logger (tests); a pino logger takes the lines instead of stdout. */
  logger?: false | Pino;
}

/** How long requests in flight at shutdown get to finish before their connections are cut. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Builds the whole process: admin app on Fastify, the gateway listener from the Proxy module.
 * Certificate and CA files are read first: a bad one throws a SettingsError before anything starts.
 */
export async function createApp(
  settings: Settings,
  options: CreateAppOptions = {},
): Promise<WaypostApp> {
  const tls = {
    certificates: settings.server.gatewayTls && CertificateStore.open(settings.server.gatewayTls),
    upstreamTrust: UpstreamTrust.open(settings.proxy.upstreamCaFile),
  };
  const root =
    options.logger === false
      ? silentLogger()
      : (options.logger ?? createRootLogger(settings.server));
  const adapter = new FastifyAdapter({
    loggerInstance: root,
    // One debug line per admin request instead (logAdminRequests): Fastify's two info lines per
    // request would drown a log in heartbeats, and its request serializer prints the query string.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req: IncomingMessage) => requestIdOf(req.headers, randomUUID),
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: ADMIN_BODY_LIMIT,
    requestTimeout: ADMIN_REQUEST_TIMEOUT_MS,
    connectionTimeout: ADMIN_IDLE_SOCKET_MS,
    // Node checks those timeouts every 30 s by default: a slow client could hold on that long.
    http: {
      headersTimeout: ADMIN_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: 1_000,
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    routerOptions: { maxParamLength: 256 },
    trustProxy: false,
    return503OnClosing: true,
  });
  const admin = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(settings, root, tls),
    adapter,
    {
      logger: new NestPinoLogger(root),
      abortOnError: false,
      // Nest's parsers are off: configureAdmin installs the one JSON parser the admin API accepts.
      bodyParser: false,
    },
  );
  configureAdmin(admin);
  const consul = new ConsulListener(admin, settings.server);

  return {
    admin,
    settings,
    async listen() {
      await admin.listen(settings.server.adminPort, settings.server.host);
      const adminPort = (admin.getHttpServer().address() as AddressInfo).port;
      new Logger('Waypost').log(`admin listening on ${settings.server.host}:${adminPort}`);
      const { gatewayPort, httpRedirectPort } = await admin.get(GatewayServer).listen();
      const consulPort = await consul.listen();
      return { adminPort, gatewayPort, consulPort, httpRedirectPort };
    },
    async close() {
      // A keep-alive connection whose last response was still being written when the listener
      // closed goes idle only afterwards, and one a client opened but sent nothing on never does:
      // either would hold the close for the idle limit (30 s). Idle ones go at once; whatever is
      // left once requests had CLOSE_GRACE_MS (after SHUTDOWN_DELAY) to finish is cut.
      const server = admin.getHttpServer();
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const cut = setTimeout(
        () => server.closeAllConnections(),
        settings.server.shutdownDelayMs + CLOSE_GRACE_MS,
      );
      try {
        await consul.close();
        await admin.close();
      } finally {
        clearInterval(sweep);
        clearTimeout(cut);
      }
    },
  };
}

function isConsulPath(url: string): boolean {
  return url.startsWith('/v1/');
}

function configureAdmin(admin: NestFastifyApplication): void {
  logAdminRequests(admin);
  configureAdminPipeline(admin);
  admin.get(DiscoveryFastPath).install(admin.getHttpAdapter().getInstance());
  setupSwagger(admin);
}

/** Each admin request ends with one debug line on its own logger (`reqId`), its path without the query. */
function logAdminRequests(admin: NestFastifyApplication): void {
  const fastify = admin.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      {
        method: request.method,
        path: pathOnly(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'admin request',
    );
    done();
  });
}

/**
 * What every admin request goes through: the one JSON parser, the global validation pipe and the
 * one exception filter. Controller contract specs boot their controller with exactly this.
 */
export function configureAdminPipeline(admin: NestFastifyApplication): void {
  const fastify = admin.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!tooManyHeaders(request.raw as IncomingMessage)) return done();
    const body = toErrorBody('HEADERS_TOO_LARGE', `more than ${MAX_HEADER_COUNT} header fields`);
    void reply.code(body.statusCode).send(body);
  });
  // JSON only: any other media type is answered 415 by Fastify before a handler runs. Consul's
  // API (`/v1/…`) takes JSON whatever the Content-Type says, or none, as Consul does: its bodies
  // stay text for its controller, which answers bad ones in Consul's words.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (isConsulPath(request.url)) return done(null, body);
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (isConsulPath(request.url)) return done(null, body);
    done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
  });
  // Nest routes Fastify's own errors (body too large, bad media type) and unknown paths through the
  // global filter too, so they take the same shape.
  admin.useGlobalPipes(createValidationPipe());
  admin.useGlobalFilters(new AllExceptionsFilter());
}
