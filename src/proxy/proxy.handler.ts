import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { toErrorBody } from '../common/errors/error-body';
import { ErrorCode } from '../common/errors/error-codes';
import { proxyConfig } from '../config/config.namespaces';
import { HEALTH_EVENTS } from '../health-monitor/health-monitor.events';
import { ApiKeys } from './api-keys';
import { ClientGoneSignal } from './client-gone-signal';
import { GatewayStats } from './gateway-stats';
import { downstreamHeaders, requestIdOf, upstreamHeaders } from './forward-headers';
import { RouteMatch } from './route-table';
import { RouteRuntime, RoutingService } from './routing.service';
import { UpstreamPools } from './upstream-pools';
import { tunnelUpgrade } from './websocket-tunnel';
import { gatewayPath, hostOf, PathRejection } from './request-target';

/** Answers a refused upgrade on the raw socket, in the contract's error shape, and closes it. */
function refuseUpgrade(socket: Duplex, code: ErrorCode, message: string): void {
  const error = toErrorBody(code, message);
  const body = JSON.stringify(error);
  socket.end(
    `HTTP/1.1 ${error.statusCode} ${error.error}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-gateway: waypost\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, cheaply: this runs on every request. */
function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

const BODY_IDLE_MS = 10_000;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  started: number;
  requestId: string;
  clientIp: string;
  extraHeaders: Record<string, string>;
}

/**
 * The data plane's one handler, built once at boot: match the precompiled route table, check the
 * API key, take a rate-limit token, pick an UP instance, stream through that origin's keep-alive
 * pool. No Nest guard, pipe or interceptor runs here.
 */
@Injectable()
export class ProxyHandler {
  private readonly logger = new Logger(ProxyHandler.name);
  private readonly apiKeys: ApiKeys;
  private readonly inFlight = new Map<string, number>();
  private readonly inFlightOf = (id: string) => this.inFlight.get(id) ?? 0;

  constructor(
    private readonly routing: RoutingService,
    private readonly pools: UpstreamPools,
    private readonly events: EventEmitter2,
    private readonly stats: GatewayStats,
    @Inject(proxyConfig.KEY) private readonly settings: ConfigType<typeof proxyConfig>,
  ) {
    this.apiKeys = new ApiKeys(settings.apiKeys);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const exchange: Exchange = {
      req,
      res,
      started: performance.now(),
      requestId: requestIdOf(req.headers, randomUUID),
      clientIp: unmapIpv4(req.socket.remoteAddress ?? ''),
      extraHeaders: {},
    };
    const admitted = this.admit(req, exchange.clientIp, exchange.requestId);
    if ('refusal' in admitted) {
      exchange.extraHeaders = admitted.refusal.headers ?? NO_HEADERS;
      return this.fail(exchange, admitted.refusal.code, admitted.refusal.message);
    }
    const { match, runtime, headers, upstreamPath, method } = admitted;
    exchange.extraHeaders = match.route.options.headers ?? NO_HEADERS;
    const hasBody =
      req.headers['content-length'] !== undefined
        ? req.headers['content-length'] !== '0'
        : req.headers['transfer-encoding'] !== undefined;
    if (hasBody) this.guardBody(req);
    const retry = match.route.options.retry;
    // Only bodiless idempotent requests are retried: undici destroys a streamed body when the
    // attempt fails (even a refused connection), so a body could not be sent a second time.
    const attempts = retry?.enabled && !hasBody && IDEMPOTENT.has(method) ? retry.max_attempts : 1;
    this.attempt(
      exchange,
      match,
      runtime,
      { method, upstreamPath, headers, hasBody },
      attempts,
      new Set(),
    );
  }

  /** A WebSocket upgrade: admitted like any request, and only on routes with `websocket: true`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const clientIp = unmapIpv4(req.socket.remoteAddress ?? '');
    const admitted = this.admit(req, clientIp, requestIdOf(req.headers, randomUUID));
    if ('refusal' in admitted)
      return refuseUpgrade(socket, admitted.refusal.code, admitted.refusal.message);
    const { match, runtime, headers, upstreamPath } = admitted;
    if (match.route.options.websocket !== true) {
      return refuseUpgrade(socket, 'FORBIDDEN', 'this route does not accept WebSocket upgrades');
    }
    const upstream = runtime.balancer.pick(this.routing.candidates(match.route, runtime), {
      clientIp,
      inFlight: this.inFlightOf,
    });
    if (!upstream)
      return refuseUpgrade(socket, 'SERVICE_UNAVAILABLE', 'no healthy instance for this route');
    tunnelUpgrade(req, socket, head, upstream, upstreamPath, headers, () => {
      if (!runtime.backend) {
        this.events.emit(HEALTH_EVENTS.upstreamFailed, {
          instanceId: upstream.id,
          error: 'upgrade failed',
        });
      }
    });
  }

  /** Everything decided before a backend is chosen: target, route, API key, rate limit, headers. */
  private admit(
    req: IncomingMessage,
    clientIp: string,
    requestId: string,
  ):
    | { refusal: { code: ErrorCode; message: string; headers?: Record<string, string> } }
    | {
        match: RouteMatch;
        runtime: RouteRuntime;
        headers: Record<string, string | string[]>;
        upstreamPath: string;
        method: string;
      } {
    const host = hostOf(req);
    const target = gatewayPath(req.url ?? '');
    if (host === null)
      return {
        refusal: { code: 'VALIDATION_FAILED', message: 'missing or malformed Host header' },
      };
    if (target instanceof PathRejection)
      return { refusal: { code: 'VALIDATION_FAILED', message: target.reason } };
    const method = req.method ?? 'GET';
    const match = this.routing.match(host, target.path, method);
    if (!match)
      return { refusal: { code: 'ROUTE_NOT_FOUND', message: 'no route matches this request' } };
    const { route } = match;
    const permission = this.apiKeys.check(route.permission, req.headers['x-api-key']);
    if (!permission.allowed) {
      return permission.status === 401
        ? { refusal: { code: 'UNAUTHORIZED', message: 'this route needs a valid X-API-Key' } }
        : {
            refusal: {
              code: 'FORBIDDEN',
              message: `this API key lacks the permission ${route.permission}`,
            },
          };
    }
    const runtime = this.routing.runtimeOf(route);
    if (runtime.limiter) {
      const decision = runtime.limiter.take(runtime.perIp ? clientIp : '*', Date.now());
      if (!decision.allowed) {
        return {
          refusal: {
            code: 'RATE_LIMITED',
            message: 'rate limit of this route exceeded',
            headers: { 'retry-after': String(decision.retryAfterSec) },
          },
        };
      }
    }
    const headers = upstreamHeaders(req.headers, {
      clientIp,
      host: req.headers.host ?? host,
      requestId,
      apiKeyName: permission.keyName,
    });
    return {
      match,
      runtime,
      headers,
      upstreamPath: this.upstreamPath(match, target.path, target.query),
      method,
    };
  }

  private attempt(
    exchange: Exchange,
    match: RouteMatch,
    runtime: RouteRuntime,
    request: {
      method: string;
      upstreamPath: string;
      headers: Record<string, string | string[]>;
      hasBody: boolean;
    },
    attemptsLeft: number,
    tried: Set<string>,
  ): void {
    const now = Date.now();
    const breakers = runtime.breakers;
    const all = this.routing.candidates(match.route, runtime);
    const closed = breakers ? all.filter((b) => breakers.available(b.id, now)) : all;
    if (all.length > 0 && closed.length === 0) {
      return this.fail(
        exchange,
        'SERVICE_UNAVAILABLE',
        'every instance of this route has its circuit open',
      );
    }
    const fresh = closed.filter((backend) => !tried.has(backend.id));
    const backend = runtime.balancer.pick(fresh.length > 0 ? fresh : closed, {
      clientIp: exchange.clientIp,
      inFlight: this.inFlightOf,
    });
    if (!backend)
      return this.fail(exchange, 'SERVICE_UNAVAILABLE', 'no healthy instance for this route');
    breakers?.allow(backend.id, now);
    tried.add(backend.id);
    const timeout = match.route.options.timeout ?? this.settings.timeoutMs;
    this.inFlight.set(backend.id, this.inFlightOf(backend.id) + 1);
    const { res } = exchange;
    let upstreamStatus = 0;
    // A client that goes away takes its upstream request with it, instead of holding the backend.
    const clientGone = new ClientGoneSignal();
    res.once('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
    this.pools.poolFor(backend.origin).stream(
      {
        signal: clientGone as unknown as AbortSignal, // undici takes any signal-shaped object
        path: backend.basePath + request.upstreamPath,
        method: request.method,
        headers: request.headers,
        body: request.hasBody ? exchange.req : null,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      },
      ({ statusCode, headers }) => {
        upstreamStatus = statusCode;
        this.stats.count(statusCode);
        res.writeHead(
          statusCode,
          this.withGatewayHeaders(
            downstreamHeaders(headers as Record<string, string | string[] | undefined>),
            exchange,
          ),
        );
        return res;
      },
      (error) => {
        // Dropped at zero, so instances that come and go leave no entries behind.
        const left = this.inFlightOf(backend.id) - 1;
        if (left > 0) this.inFlight.set(backend.id, left);
        else this.inFlight.delete(backend.id);
        // The client left: nothing to answer, and no fault of the backend.
        if (clientGone.aborted) return;
        if (breakers) {
          if (error || upstreamStatus >= 500) breakers.failure(backend.id, Date.now());
          else breakers.success(backend.id);
        }
        if (!error) return;
        const code = (error as { code?: string }).code;
        // Live traffic that cannot reach an instance counts toward its health before the next check.
        if (!runtime.backend && !res.headersSent) {
          this.events.emit(HEALTH_EVENTS.upstreamFailed, {
            instanceId: backend.id,
            error: code ?? 'failed',
          });
        }
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (attemptsLeft > 1 && code !== 'UND_ERR_HEADERS_TIMEOUT') {
          const backoff =
            match.route.options.retry?.backoff === 'fixed' ? 50 : 50 * 2 ** tried.size;
          setTimeout(
            () => this.attempt(exchange, match, runtime, request, attemptsLeft - 1, tried),
            backoff,
          );
          return;
        }
        if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
          return this.fail(
            exchange,
            'GATEWAY_TIMEOUT',
            `the backend did not answer within ${timeout}ms`,
          );
        }
        this.fail(
          exchange,
          'BAD_GATEWAY',
          'the backend could not be reached or broke the connection',
        );
      },
    );
  }

  /**
   * A request body that stops moving for BODY_IDLE_MS is cut off, so a trickling client cannot hold
   * a gateway socket and an upstream connection. Only while the body comes in: a slow backend answer
   * is the route timeout's business.
   */
  private guardBody(req: IncomingMessage): void {
    const socket = req.socket;
    socket.setTimeout(BODY_IDLE_MS, () => socket.destroy());
    req.once('end', () => socket.setTimeout(0));
  }

  private upstreamPath(match: RouteMatch, path: string, query: string): string {
    if (!match.route.options.strip_prefix) return path + query;
    const rest = path
      .split('/')
      .filter((s) => s.length > 0)
      .slice(match.prefixDepth);
    return '/' + rest.join('/') + query;
  }

  /** Adds the route's headers and the gateway's own to a header set, in place. */
  private withGatewayHeaders<T extends Record<string, string | string[] | number>>(
    headers: T,
    exchange: Exchange,
  ): T {
    const target = headers as Record<string, string | string[] | number>;
    for (const name in exchange.extraHeaders) target[name] = exchange.extraHeaders[name];
    target['x-request-id'] = exchange.requestId;
    target['x-gateway'] = 'waypost';
    target['server-timing'] = `gateway;dur=${(performance.now() - exchange.started).toFixed(1)}`;
    return headers;
  }

  private fail(exchange: Exchange, code: ErrorCode, message: string): void {
    const { req, res } = exchange;
    const error = toErrorBody(code, message);
    const body = JSON.stringify(error);
    // Whatever the client is still sending is not wanted: drain it so the connection can be reused.
    req.resume();
    if (res.headersSent) return void res.destroy();
    this.stats.count(error.statusCode);
    res.writeHead(
      error.statusCode,
      this.withGatewayHeaders(
        {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        },
        exchange,
      ),
    );
    res.end(body);
    if (code === 'BAD_GATEWAY' || code === 'GATEWAY_TIMEOUT')
      this.logger.debug(`${exchange.requestId}: ${message}`);
  }
}
