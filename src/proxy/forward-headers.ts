import { IncomingHttpHeaders } from 'node:http';
import { util } from 'undici';
import { HOP_BY_HOP_HEADERS } from '../model/edge-rules';

/**
 * Hop-by-hop headers, those a proxy must set itself, and HTTP/2's pseudo-headers (in a set of
 * their own they would cost every HTTP/1.1 request a second lookup).
 */
const HOP_BY_HOP = new Set<string>([
  ...HOP_BY_HOP_HEADERS,
  'host',
  'x-api-key-name',
  'expect',
  ':method',
  ':path',
  ':scheme',
  ':authority',
  ':protocol',
]);

/** Response headers a proxy must not pass on (RFC 9110 §7.6.1). */
const HOP_BY_HOP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'trailer',
  'upgrade',
]);

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Names listed in a Connection header are hop-by-hop too, whatever they are. */
const NONE: ReadonlySet<string> = new Set();

function connectionListed(value: string | string[] | undefined): ReadonlySet<string> {
  if (typeof value !== 'string' || value === 'keep-alive' || value === 'close') return NONE;
  return new Set(
    value
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

export interface ForwardContext {
  clientIp: string;
  host: string;
  /** How the client reached the gateway: X-Forwarded-Proto. */
  proto: 'http' | 'https';
  requestId: string;
  apiKeyName: string | null;
}

/** The client's request id when it is a sane token, else a new one. */
export function requestIdOf(headers: IncomingHttpHeaders, generate: () => string): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : generate();
}

/**
 * The header set the backend receives: the client's end-to-end headers, with X-Forwarded-For
 * appended to (never replaced), X-Forwarded-Host/Proto, X-Request-Id and, on permission routes,
 * X-Api-Key-Name. Built deliberately: undici refuses some hop-by-hop headers outright.
 */
export function upstreamHeaders(
  headers: IncomingHttpHeaders,
  context: ForwardContext,
): Record<string, string | string[]> {
  const listed = connectionListed(headers.connection);
  const result: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    result[name] = value;
  }
  const priorFor = listed.has('x-forwarded-for') ? undefined : headers['x-forwarded-for'];
  const prior = Array.isArray(priorFor) ? priorFor.join(', ') : priorFor;
  result['x-forwarded-for'] = prior ? `${prior}, ${context.clientIp}` : context.clientIp;
  result['x-forwarded-host'] = context.host;
  result['x-forwarded-proto'] = context.proto;
  result['x-request-id'] = context.requestId;
  if (context.apiKeyName !== null) result['x-api-key-name'] = context.apiKeyName;
  return result;
}

/**
 * undici's raw response headers (name, value, name, value … as Buffers) to the object writeHead
 * takes, without hop-by-hop headers and without the names the backend's Connection header lists.
 */
export function responseHeaders(raw: Buffer[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    // undici's lookup of well-known names answers interned lower-case strings without copying.
    const name = util.headerNameToString(raw[i]);
    const value = raw[i + 1].toString('latin1');
    if (HOP_BY_HOP_RESPONSE.has(name)) {
      if (name === 'connection') connection = connection ? `${connection},${value}` : value;
      continue;
    }
    // A prototype key would turn the object into something else: such a header is dropped.
    if (name === '__proto__') continue;
    const prior = headers[name];
    if (prior === undefined) headers[name] = value;
    else if (typeof prior === 'string') headers[name] = [prior, value];
    else prior.push(value);
  }
  for (const listed of connectionListed(connection)) delete headers[listed];
  return headers;
}
