import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { toErrorBody } from '../common/errors/error-body';
import type { ErrorCode } from '../common/errors/error-codes';
import { applyResponseEdge, ResponseEdge } from './edge/route-edge';

/** What the gateway knows of one client request from arrival to answer. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** performance.now() at arrival, for Server-Timing. */
  started: number;
  requestId: string;
  /** The route's `headers`, added to every answer of the route. */
  extraHeaders: Readonly<Record<string, string>>;
  /** The route's response header rules and CORS headers for this request; null for most. */
  responseEdge: ResponseEdge | null;
}

/** Adds the route's headers and the gateway's own to an answer's header set, in place. */
export function withGatewayHeaders<T extends Record<string, string | string[] | number>>(
  headers: T,
  exchange: Exchange,
): T {
  const target = headers as Record<string, string | string[] | number>;
  for (const name in exchange.extraHeaders) target[name] = exchange.extraHeaders[name];
  if (exchange.responseEdge !== null) applyResponseEdge(target, exchange.responseEdge);
  target['x-request-id'] = exchange.requestId;
  target['x-gateway'] = 'waypost';
  target['server-timing'] = `gateway;dur=${(performance.now() - exchange.started).toFixed(1)}`;
  return headers;
}

/**
 * The gateway's one error answer, in the contract's shape (`toErrorBody`, as on the admin port).
 * Answers its status, or null when a response already under way could only be cut off.
 */
export function writeGatewayError(
  exchange: Exchange,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): number | null {
  const { req, res } = exchange;
  const error = toErrorBody(code, message);
  const body = JSON.stringify(error);
  // Whatever the client is still sending is not wanted: drain it so the connection can be reused.
  req.resume();
  if (res.headersSent) {
    res.destroy();
    return null;
  }
  const head: Record<string, string | number> = { ...headers };
  // HTTP/2 has no Connection header (Node refuses to send one): the stream ends, the connection stays.
  if (req.httpVersionMajor === 2) delete head.connection;
  res.writeHead(
    error.statusCode,
    withGatewayHeaders(
      {
        ...head,
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      },
      exchange,
    ),
  );
  res.end(body);
  return error.statusCode;
}

/** The gateway's own answer without a body: a CORS preflight (204) or a `redirect` (3xx). */
export function writeGatewayReply(
  exchange: Exchange,
  status: number,
  headers: Record<string, string>,
): void {
  exchange.req.resume();
  // A 204 carries no Content-Length at all (RFC 9110 §8.6).
  const head = status === 204 ? { ...headers } : { ...headers, 'content-length': '0' };
  exchange.res.writeHead(status, withGatewayHeaders(head, exchange));
  exchange.res.end();
}

/** The same answer on the raw socket of a refused upgrade, which is then closed. */
export function refuseUpgrade(socket: Duplex, code: ErrorCode, message: string): void {
  const error = toErrorBody(code, message);
  const body = JSON.stringify(error);
  socket.end(
    `HTTP/1.1 ${error.statusCode} ${error.error}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-gateway: waypost\r\nconnection: close\r\n\r\n${body}`,
  );
}

const REASONS: Record<number, string> = {
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};

/** A Reply (redirect, preflight) on the raw socket of an upgrade request, which is then closed. */
export function replyOnSocket(
  socket: Duplex,
  status: number,
  headers: Record<string, string>,
): void {
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Answer'}\r\n`;
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  socket.end(`${head}content-length: 0\r\nx-gateway: waypost\r\nconnection: close\r\n\r\n`);
}
