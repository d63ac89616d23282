import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { toErrorBody } from '../common/errors/error-body';
import { ErrorCode } from '../common/errors/error-codes';
import { proxyConfig } from '../config/config.namespaces';
import { GATEWAY_EVENTS } from '../model/events';
import { ApiKeys } from './api-keys';
import { GatewayStats } from './gateway-stats';
import { requestIdOf, upstreamHeaders } from './forward-headers';
import { RouteMatch } from './route-table';
import { RouteRuntime, RoutingService } from './routing.service';
import { UpstreamPools } from './upstream-pools';
import { UpstreamCall, UpstreamCallHooks } from './upstream-call';
import { Upstream } from './balancers';
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
const RETRY_BACKOFF_MS = 50;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Errors raised before a connection existed: the backend saw nothing, so any request may go elsewhere. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** The body is in; the socket's timer goes back to what node:http set, unless it already did. */
function stopBodyTimer(this: IncomingMessage): void {
  if (this.socket?.timeout === BODY_IDLE_MS) this.socket.setTimeout(0);
}

/** What the gateway knows of one client request, from arrival to answer. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  started: number;
  requestId: string;
  clientIp: string;
  extraHeaders: Record<string, string>;
}

/** An admitted request on its way to a backend; attempts run one after another. */
interface Forwarding extends Exchange {
  match: RouteMatch;
  runtime: RouteRuntime;
  method: string;
  upstreamPath: string;
  headers: Record<string, string | string[]>;
  hasBody: boolean;
  timeout: number;
  attemptsLeft: number;
  /** Instances already tried, so a retry goes elsewhere while it can. */
  tried: string[];
  backend: Upstream | null;
  call: UpstreamCall<Forwarding> | null;
  clientGone: boolean;
}

/**
 * The data plane's one handler, built once at boot: match the precompiled route table, check the
 * API key, take a rate-limit token, pick an UP instance, dispatch through that origin's keep-alive
 * pool and write the answer straight back. No Nest guard, pipe or interceptor runs here.
 */
@Injectable()
export class ProxyHandler implements UpstreamCallHooks<Forwarding> {
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
    const started = performance.now();
    const requestId = requestIdOf(req.headers, randomUUID);
    const clientIp = unmapIpv4(req.socket.remoteAddress ?? '');
    const admitted = this.admit(req, clientIp, requestId);
    if ('refusal' in admitted) {
      const { refusal } = admitted;
      const extraHeaders = refusal.headers ?? NO_HEADERS;
      const exchange = { req, res, started, requestId, clientIp, extraHeaders };
      return this.fail(exchange, refusal.code, refusal.message);
    }
    const { match, runtime, method, upstreamPath, headers } = admitted;
    const hasBody =
      req.headers['content-length'] !== undefined
        ? req.headers['content-length'] !== '0'
        : req.headers['transfer-encoding'] !== undefined;
    if (hasBody) this.guardBody(req);
    const retry = match.route.options.retry;
    const forwarding: Forwarding = {
      req,
      res,
      started,
      requestId,
      clientIp,
      extraHeaders: match.route.options.headers ?? NO_HEADERS,
      match,
      runtime,
      method,
      upstreamPath,
      headers,
      hasBody,
      timeout: match.route.options.timeout ?? this.settings.timeoutMs,
      attemptsLeft: retry?.enabled ? retry.max_attempts : 1,
      tried: [],
      backend: null,
      call: null,
      clientGone: false,
    };
    // A client that goes away takes its upstream request with it, instead of holding the backend.
    res.once('close', () => {
      if (res.writableFinished) return;
      forwarding.clientGone = true;
      forwarding.call?.cancel();
    });
    this.attempt(forwarding);
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
      if (!runtime.fixedBackend) {
        this.events.emit(GATEWAY_EVENTS.upstreamFailed, {
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

  private attempt(forwarding: Forwarding): void {
    if (forwarding.clientGone) return;
    const { match, runtime, tried } = forwarding;
    const now = Date.now();
    const breakers = runtime.breakers;
    const all = this.routing.candidates(match.route, runtime);
    const closed = breakers ? all.filter((b) => breakers.available(b.id, now)) : all;
    if (all.length > 0 && closed.length === 0) {
      return this.fail(
        forwarding,
        'SERVICE_UNAVAILABLE',
        'every instance of this route has its circuit open',
      );
    }
    const fresh = tried.length > 0 ? closed.filter((b) => !tried.includes(b.id)) : closed;
    const backend = runtime.balancer.pick(fresh.length > 0 ? fresh : closed, {
      clientIp: forwarding.clientIp,
      inFlight: this.inFlightOf,
    });
    if (!backend)
      return this.fail(forwarding, 'SERVICE_UNAVAILABLE', 'no healthy instance for this route');
    breakers?.allow(backend.id, now);
    tried.push(backend.id);
    forwarding.attemptsLeft--;
    forwarding.backend = backend;
    this.inFlight.set(backend.id, this.inFlightOf(backend.id) + 1);
    const call = new UpstreamCall(forwarding, forwarding.res, this);
    forwarding.call = call;
    this.pools.poolFor(backend.origin).dispatch(
      {
        origin: backend.origin,
        path: backend.basePath + forwarding.upstreamPath,
        method: forwarding.method as Dispatcher.HttpMethod,
        headers: forwarding.headers,
        body: forwarding.hasBody ? forwarding.req : null,
        headersTimeout: forwarding.timeout,
        bodyTimeout: forwarding.timeout,
      },
      call,
    );
  }

  /** UpstreamCallHooks: the backend answered; its headers plus the route's and the gateway's. */
  head(forwarding: Forwarding, statusCode: number, headers: Record<string, string | string[]>) {
    this.stats.count(statusCode);
    return this.withGatewayHeaders(headers, forwarding);
  }

  /** UpstreamCallHooks: an attempt is over; account for it, then answer, retry or give up. */
  settle(call: UpstreamCall<Forwarding>, error: Error | null): void {
    const forwarding = call.context;
    const { runtime, res } = forwarding;
    const backend = forwarding.backend as Upstream;
    forwarding.call = null;
    // Dropped at zero, so instances that come and go leave no entries behind.
    const left = this.inFlightOf(backend.id) - 1;
    if (left > 0) this.inFlight.set(backend.id, left);
    else this.inFlight.delete(backend.id);
    // The client left: nothing to answer, and no fault of the backend.
    if (call.clientGone || forwarding.clientGone) return;
    if (runtime.breakers) {
      if (error || call.statusCode >= 500) runtime.breakers.failure(backend.id, Date.now());
      else runtime.breakers.success(backend.id);
    }
    if (!error) return;
    const code = (error as { code?: string }).code ?? '';
    // Live traffic that cannot reach an instance counts toward its health before the next check.
    if (!runtime.fixedBackend && !res.headersSent) {
      this.events.emit(GATEWAY_EVENTS.upstreamFailed, {
        instanceId: backend.id,
        error: code || 'failed',
      });
    }
    if (res.headersSent) return void res.destroy();
    if (this.retryable(forwarding, code)) {
      const backoff =
        forwarding.match.route.options.retry?.backoff === 'fixed'
          ? RETRY_BACKOFF_MS
          : RETRY_BACKOFF_MS * 2 ** (forwarding.tried.length - 1);
      setTimeout(() => this.attempt(forwarding), backoff);
      return;
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return this.fail(
        forwarding,
        'GATEWAY_TIMEOUT',
        `the backend did not answer within ${forwarding.timeout}ms`,
      );
    }
    this.fail(
      forwarding,
      'BAD_GATEWAY',
      'the backend could not be reached or broke the connection',
    );
  }

  /**
   * Another instance may get the request when attempts are left and sending it again cannot do
   * harm: an idempotent method, or a backend that never got connected to. A body goes again only
   * if none of it was read (the gateway streams bodies; it keeps no copy), and a backend that took
   * the request but timed out is not waited for twice.
   */
  private retryable(forwarding: Forwarding, code: string): boolean {
    if (forwarding.attemptsLeft <= 0 || code === 'UND_ERR_HEADERS_TIMEOUT') return false;
    const { req } = forwarding;
    if (forwarding.hasBody && (req.readableDidRead || req.destroyed)) return false;
    return IDEMPOTENT.has(forwarding.method) || NOT_CONNECTED.has(code);
  }

  /**
   * A request body that stops moving for BODY_IDLE_MS is cut off, so a trickling client cannot hold
   * a gateway socket and an upstream connection. Only while the body comes in: a slow backend answer
   * is the route timeout's business.
   */
  private guardBody(req: IncomingMessage): void {
    // No callback: node:http's own 'timeout' handler destroys a socket nobody else handles, and a
    // callback would add one more listener to a kept-alive socket with every request.
    req.socket.setTimeout(BODY_IDLE_MS);
    req.once('end', stopBodyTimer);
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
