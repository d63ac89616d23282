import type { IncomingMessage } from 'node:http';

const BODY_IDLE_MS = 10_000;

/** The body is in; the socket's timer goes back to what node:http set, unless it already did. */
function stopBodyTimer(this: IncomingMessage): void {
  if (this.socket?.timeout === BODY_IDLE_MS) this.socket.setTimeout(0);
}

/** True when the request carries a body (a non-zero Content-Length, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
}

/**
 * A request body that stops moving for BODY_IDLE_MS is cut off, so a trickling client cannot hold
 * a gateway socket and an upstream connection. Only while the body comes in: a slow backend answer
 * is the route timeout's business.
 */
export function guardBody(req: IncomingMessage): void {
  // No callback: node:http's own 'timeout' handler destroys a socket nobody else handles, and a
  // callback would add one more listener to a kept-alive socket with every request.
  req.socket.setTimeout(BODY_IDLE_MS);
  // `on`, not `once`: the request ends once anyway, and `once` allocates a wrapper per request.
  req.on('end', stopBodyTimer);
}
