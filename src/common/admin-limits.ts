import type { Socket } from 'node:net';

/** The admin API takes small JSON documents; anything larger is refused before it is read whole. */
export const ADMIN_BODY_LIMIT = 64 * 1024;
/** Slow clients are cut off: headers within 10 s, a whole request within 15 s, no socket idle 30 s. */
export const ADMIN_HEADERS_TIMEOUT_MS = 10_000;
export const ADMIN_REQUEST_TIMEOUT_MS = 15_000;
/** A long-poll lifts the idle limit while it waits; a watch writes at least every 15 s anyway. */
export const ADMIN_IDLE_SOCKET_MS = 30_000;

/**
 * Sets the idle limit of the socket under an admin response: lifted while a long-poll waits, back
 * to ADMIN_IDLE_SOCKET_MS after. An in-process request (Fastify's inject) has no real socket.
 */
export function setIdleLimit(socket: { setTimeout?: unknown } | null, ms: number): void {
  if (typeof socket?.setTimeout === 'function') (socket as Socket).setTimeout(ms);
}
