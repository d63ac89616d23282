import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { ErrorCode } from '../common/errors/error-codes';
import { GATEWAY_EVENTS, UpstreamFailedEvent } from '../model/events';
import { AccessLog } from './access-log';
import { admit, Refusal, Reply } from './admission';
import type { Upstream } from './balancers';
import { guardBody, hasBody } from './body-guard';
import { BodyTooLargeError, limitedBody } from './edge/body-limit';
import type { Compression } from './edge/compression';
import { requestIdOf } from './forward-headers';
import {
  Exchange,
  withGatewayHeaders,
  writeGatewayError,
  writeGatewayReply,
} from './gateway-answer';
import { GatewayRules } from './gateway-rules';
import { InFlight } from './in-flight';
import { unmapIpv4 } from './request-target';
import { backoffMs, failureOf, mayRetry, upstreamErrorKind } from './retry-policy';
import type { RouteMatch } from './route-table';
import { NO_HEADERS, RouteRuntime } from './route-runtime';
import { RoutingService } from './routing.service';
import { UpstreamCall, UpstreamCallHooks } from './upstream-call';
import { UpstreamPools } from './upstream-pools';

/** Where a response keeps its request's forwarding, for the one shared 'close' listener. */
const FORWARDING = Symbol('forwarding');

/** An admitted request on its way to a backend; attempts run one after another. */
interface Forwarding extends Exchange {
  clientIp: string;
  match: RouteMatch<RouteRuntime>;
  runtime: RouteRuntime;
  method: string;
  upstreamPath: string;
  headers: Record<string, string | string[]>;
  hasBody: boolean;
  /** The route's max_body_size, enforced on the stream for a body of undeclared length. */
  maxBodySize: number | null;
  compression: Compression | null;
  attemptsLeft: number;
  /** Instances tried (each once), so a retry goes elsewhere while it can; null until a retry. */
  tried: string[] | null;
  backend: Upstream | null;
  call: UpstreamCall<Forwarding> | null;
  clientGone: boolean;
  /** The handler, for the shared 'close' listener's accounting. */
  gateway: ProxyHandler;
}

type TrackedResponse = ServerResponse & { [FORWARDING]?: Forwarding };

/**
 * Every forwarded exchange ends here: an answer written in full is accounted for; a client that
 * went away first takes its upstream request with it, instead of holding the backend, and is
 * counted as 499 (nginx's "client closed request").
 */
function onResponseClose(this: TrackedResponse): void {
  const forwarding = this[FORWARDING];
  if (!forwarding) return;
  if (!this.writableFinished) {
    forwarding.clientGone = true;
    forwarding.call?.cancel();
  }
  forwarding.gateway.closed(forwarding, this.writableFinished ? this.statusCode : 499);
}

/**
 * The data plane's one handler, built once at boot. The request path: admit (target, route, API
 * key, rate limit, headers), pick an UP instance with the route's balancer, dispatch through that
 * origin's keep-alive pool, write the answer straight back — and on a failed attempt, retry, or
 * answer with the one gateway error writer. No Nest guard, pipe or interceptor runs here.
 */
@Injectable()
export class ProxyHandler implements UpstreamCallHooks<Forwarding> {
  constructor(
    private readonly routing: RoutingService,
    private readonly rules: GatewayRules,
    private readonly pools: UpstreamPools,
    private readonly inFlight: InFlight,
    private readonly events: EventEmitter2,
    private readonly accessLog: AccessLog,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const requestId = requestIdOf(req.headers, randomUUID);
    const clientIp = unmapIpv4(req.socket.remoteAddress ?? '');
    const admitted = admit(req, clientIp, requestId, this.rules);
    if (admitted instanceof Refusal || admitted instanceof Reply) {
      const exchange = {
        req,
        res,
        started,
        requestId,
        extraHeaders: NO_HEADERS,
        responseEdge: admitted instanceof Refusal ? admitted.edge : null,
      };
      let status: number | null = null;
      if (admitted instanceof Reply) {
        writeGatewayReply(exchange, admitted.status, admitted.headers);
        status = admitted.status;
      } else status = this.fail(exchange, admitted.code, admitted.message, admitted.headers);
      if (status !== null) {
        (admitted.meter ?? this.routing.unrouted).answered(status, started);
        this.accessLog.refused(req, status, started, requestId);
      }
      return;
    }
    const { match } = admitted;
    const runtime = match.payload;
    const withBody = hasBody(req);
    if (withBody) guardBody(req);
    const forwarding: Forwarding = {
      req,
      res,
      started,
      requestId,
      extraHeaders: runtime.extraHeaders,
      responseEdge: admitted.responseEdge,
      clientIp,
      match,
      runtime,
      method: admitted.method,
      upstreamPath: admitted.upstreamPath,
      headers: admitted.headers,
      hasBody: withBody,
      maxBodySize: admitted.maxBodySize,
      compression: admitted.compression,
      attemptsLeft: runtime.attempts,
      tried: null,
      backend: null,
      call: null,
      clientGone: false,
      gateway: this,
    };
    (res as TrackedResponse)[FORWARDING] = forwarding;
    res.on('close', onResponseClose);
    this.attempt(forwarding);
  }

  /** UpstreamCallHooks: the backend answered; its headers plus the route's and the gateway's. */
  head(forwarding: Forwarding, _statusCode: number, headers: Record<string, string | string[]>) {
    return withGatewayHeaders(headers, forwarding);
  }

  /** The exchange is over (answered, cut off or abandoned by its client): count it, log it. */
  closed(forwarding: Forwarding, status: number): void {
    forwarding.runtime.meter.answered(status, forwarding.started);
    if (this.accessLog.enabled) this.accessLog.forwarded(forwarding, status);
  }

  /** UpstreamCallHooks: an attempt is over; account for it, then answer, retry or give up. */
  settle(call: UpstreamCall<Forwarding>, error: Error | null): void {
    const forwarding = call.context;
    const { runtime, res } = forwarding;
    const backend = forwarding.backend as Upstream;
    forwarding.call = null;
    this.inFlight.end(backend.id);
    // The client left: nothing to answer, and no fault of the backend.
    if (call.clientGone || forwarding.clientGone) return;
    // The client sent too much: no fault of the backend either, and nothing to retry.
    if (error instanceof BodyTooLargeError)
      return void this.fail(forwarding, 'PAYLOAD_TOO_LARGE', error.message, {
        connection: 'close',
      });
    if (runtime.breakers) {
      if (error || call.statusCode >= 500) runtime.breakers.failure(backend.id, Date.now());
      else runtime.breakers.success(backend.id);
    }
    if (!error) return;
    const code = (error as { code?: string }).code ?? '';
    runtime.meter.upstreamFailed(upstreamErrorKind(code));
    // Live traffic that cannot reach an instance counts toward its health before the next check.
    if (!runtime.fixedBackend && !res.headersSent) {
      this.events.emit(GATEWAY_EVENTS.upstreamFailed, {
        instanceId: backend.id,
        error: code || 'failed',
      } satisfies UpstreamFailedEvent);
    }
    if (res.headersSent) return void res.destroy();
    const { req } = forwarding;
    if (
      mayRetry({
        method: forwarding.method,
        code,
        attemptsLeft: forwarding.attemptsLeft,
        hasBody: forwarding.hasBody,
        bodyStarted: req.readableDidRead || req.destroyed,
      })
    ) {
      forwarding.tried ??= [backend.id];
      const attemptsMade = runtime.attempts - forwarding.attemptsLeft;
      const wait = backoffMs(forwarding.match.route.options.retry, attemptsMade);
      setTimeout(() => this.attempt(forwarding), wait);
      return;
    }
    const failure = failureOf(code, runtime.timeoutMs);
    this.fail(forwarding, failure.code, failure.message);
  }

  private attempt(forwarding: Forwarding): void {
    if (forwarding.clientGone) return;
    const { runtime, tried } = forwarding;
    const breakers = runtime.breakers;
    const all = this.routing.candidates(runtime);
    const now = breakers ? Date.now() : 0;
    const closed = breakers ? all.filter((b) => breakers.available(b.id, now)) : all;
    if (all.length > 0 && closed.length === 0) {
      return void this.fail(
        forwarding,
        'SERVICE_UNAVAILABLE',
        'every instance of this route has its circuit open',
      );
    }
    const fresh = tried !== null ? closed.filter((b) => !tried.includes(b.id)) : closed;
    const backend = runtime.balancer.pick(fresh.length > 0 ? fresh : closed, {
      clientIp: forwarding.clientIp,
      inFlight: this.inFlight.of,
    });
    if (!backend)
      return void this.fail(
        forwarding,
        'SERVICE_UNAVAILABLE',
        'no healthy instance for this route',
      );
    breakers?.allow(backend.id, now);
    if (tried !== null && !tried.includes(backend.id)) tried.push(backend.id);
    forwarding.attemptsLeft--;
    forwarding.backend = backend;
    this.inFlight.start(backend.id);
    const call = new UpstreamCall(
      forwarding,
      forwarding.res,
      this,
      forwarding.compression,
      runtime.preciseTimeoutMs,
    );
    forwarding.call = call;
    this.pools.poolFor(backend.origin).dispatch(
      {
        origin: backend.origin,
        path: backend.basePath + forwarding.upstreamPath,
        method: forwarding.method as Dispatcher.HttpMethod,
        headers: forwarding.headers,
        body: !forwarding.hasBody
          ? null
          : forwarding.maxBodySize === null
            ? forwarding.req
            : limitedBody(forwarding.req, forwarding.maxBodySize),
        headersTimeout: runtime.timeoutMs,
        bodyTimeout: runtime.timeoutMs,
      },
      call,
    );
  }

  /** Answers with the gateway's error; the status written, or null if the answer was cut off. */
  private fail(
    exchange: Exchange,
    code: ErrorCode,
    message: string,
    headers?: Record<string, string>,
  ): number | null {
    if (code === 'BAD_GATEWAY' || code === 'GATEWAY_TIMEOUT')
      this.accessLog.failure(exchange.requestId, message);
    return writeGatewayError(exchange, code, message, headers);
  }
}
