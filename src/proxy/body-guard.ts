import type { IncomingMessage } from 'node:http';
import { constants, type Http2ServerRequest, type ServerHttp2Stream } from 'node:http2';

const BODY_IDLE_MS = 10_000;

/** The body is in; the socket's timer goes back to what node:http set, unless it already did. */
function stopBodyTimer(this: IncomingMessage): void {
  if (this.socket?.timeout === BODY_IDLE_MS) this.socket.setTimeout(0);
}

/** The body is in (HTTP/2): the stream's timer goes. */
function stopStreamTimer(this: Http2ServerRequest): void {
  this.stream.setTimeout(0);
}

/** An HTTP/2 body that stalled: its stream is reset (Node only reports the timeout). */
function resetStalledStream(this: ServerHttp2Stream): void {
  this.close(constants.NGHTTP2_CANCEL);
}

/**
 * True when the request carries a body: a non-zero Content-Length, chunked, or (HTTP/2, where
 * neither is needed) a HEADERS frame that did not end the stream.
 */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  if (req.headers['transfer-encoding'] !== undefined) return true;
  return (
    req.httpVersionMajor === 2 && !(req as unknown as Http2ServerRequest).stream.endAfterHeaders
  );
}

/**
 * A request body that stops moving for BODY_IDLE_MS is cut off, so a trickling client cannot hold
 * a gateway socket and an upstream connection. Only while the body comes in: a slow backend answer
 * is the route timeout's business.
 */
export function guardBody(req: IncomingMessage): void {
  // An HTTP/2 connection carries other streams: the timer is this stream's, and a stream that
  // times out with nobody listening is reset, not the connection.
  if (req.httpVersionMajor === 2) {
    const h2 = req as unknown as Http2ServerRequest;
    h2.stream.setTimeout(BODY_IDLE_MS, resetStalledStream);
    h2.on('end', stopStreamTimer);
    return;
  }
  // No callback: node:http's own 'timeout' handler destroys a socket nobody else handles, and a
  // callback would add one more listener to a kept-alive socket with every request.
  req.socket.setTimeout(BODY_IDLE_MS);
  // `on`, not `once`: the request ends once anyway, and `once` allocates a wrapper per request.
  req.on('end', stopBodyTimer);
}
