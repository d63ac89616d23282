import type { ErrorCode } from '../common/errors/error-codes';
import type { RouteOptions } from '../model/route';
import type { UpstreamErrorKind } from '../telemetry/gateway-series';

/**
 * When a failed attempt may go to another instance, how long to wait first, and what the client is
 * told when it may not. Pure.
 */

const RETRY_BACKOFF_MS = 50;
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
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * A failed attempt as the metrics name it: never connected (`refused`), no answer in time
 * (`timeout`, the connect timeout included), or a connection that broke (`reset`, the rest).
 */
export function upstreamErrorKind(code: string): UpstreamErrorKind {
  if (TIMEOUTS.has(code) || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  return NOT_CONNECTED.has(code) ? 'refused' : 'reset';
}

export interface FailedAttempt {
  method: string;
  /** The undici or socket error code; '' when there is none. */
  code: string;
  attemptsLeft: number;
  /** Whether the request has a body, and whether any of it was read (the gateway keeps no copy). */
  hasBody: boolean;
  bodyStarted: boolean;
}

/**
 * Another instance may get the request when attempts are left and sending it again cannot do
 * harm: an idempotent method, or a backend that never got connected to. A body goes again only if
 * none of it was read, and a backend that took the request but timed out is not waited for twice.
 */
export function mayRetry(attempt: FailedAttempt): boolean {
  if (attempt.attemptsLeft <= 0 || attempt.code === 'UND_ERR_HEADERS_TIMEOUT') return false;
  if (attempt.hasBody && attempt.bodyStarted) return false;
  return IDEMPOTENT.has(attempt.method) || NOT_CONNECTED.has(attempt.code);
}

/**
 * The wait before the next attempt, after `attemptsMade` attempts (to the same instance or not): 50 ms
 * each time (`fixed`), or 50, 100, 200 ms … (`exponential`, the default).
 */
export function backoffMs(retry: RouteOptions['retry'], attemptsMade: number): number {
  return retry?.backoff === 'fixed'
    ? RETRY_BACKOFF_MS
    : RETRY_BACKOFF_MS * 2 ** Math.max(0, attemptsMade - 1);
}

/** What a failed attempt that is not retried becomes for the client. */
export function failureOf(code: string, timeoutMs: number): { code: ErrorCode; message: string } {
  return TIMEOUTS.has(code)
    ? { code: 'GATEWAY_TIMEOUT', message: `the backend did not answer within ${timeoutMs}ms` }
    : { code: 'BAD_GATEWAY', message: 'the backend could not be reached or broke the connection' };
}
