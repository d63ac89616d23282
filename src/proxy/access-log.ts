import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { IncomingMessage } from 'node:http';
import type { Logger as Pino } from 'pino';
import { serverConfig } from '../config/config.namespaces';
import { ROOT_LOGGER } from '../logging/logging.module';
import { pathOnly } from '../logging/redaction';
import type { Upstream } from './balancers';
import type { RouteMatch } from './route-table';

/** What an access line needs of a forwarded exchange. */
export interface LoggedExchange {
  req: IncomingMessage;
  requestId: string;
  started: number;
  match: RouteMatch<unknown>;
  backend: Upstream | null;
}

/**
 * The gateway's log lines: with ACCESS_LOG=true one info line per request (`method`, `host`,
 * `path` without the query, `route`, `instance`, `status`, `ms`, `reqId`); at debug, why a
 * backend failed. Never a header, never a query string.
 */
@Injectable()
export class AccessLog {
  readonly enabled: boolean;
  private readonly log: Pino;

  constructor(
    @Inject(ROOT_LOGGER) root: Pino,
    @Inject(serverConfig.KEY) server: ConfigType<typeof serverConfig>,
  ) {
    this.enabled = server.accessLog;
    this.log = root.child({ context: 'Gateway' });
  }

  forwarded(exchange: LoggedExchange, status: number): void {
    this.line(exchange.req, exchange.requestId, exchange.started, status, {
      route: exchange.match.route.id,
      instance: exchange.backend?.id ?? null,
    });
  }

  refused(req: IncomingMessage, status: number, started: number, requestId: string): void {
    if (this.enabled) this.line(req, requestId, started, status, { route: null, instance: null });
  }

  failure(requestId: string, message: string): void {
    this.log.debug({ reqId: requestId }, message);
  }

  private line(
    req: IncomingMessage,
    reqId: string,
    started: number,
    status: number,
    target: { route: string | null; instance: string | null },
  ): void {
    this.log.info(
      {
        reqId,
        method: req.method,
        host: req.headers.host,
        path: pathOnly(req.url),
        ...target,
        status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'gateway request',
    );
  }
}
