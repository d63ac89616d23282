import { IncomingMessage } from 'node:http';

export class PathRejection {
  constructor(readonly reason: string) {}
}

const HOST = /^[a-z0-9.-]{1,253}$/;

/** The request's host, lower-case and without port; null when missing, repeated or malformed. */
export function hostOf(req: IncomingMessage): string | null {
  // HTTP/2 names the host in :authority (one, by construction), or in Host when a client omits
  // it; one that names two different hosts is malformed (RFC 9113 §8.3.1), as two Hosts are.
  if (req.httpVersionMajor === 2) {
    const authority = req.headers[':authority'];
    const host = req.headers.host;
    if (typeof authority !== 'string')
      return typeof host === 'string' ? normalizedHost(host) : null;
    const named = normalizedHost(authority);
    return host === undefined || normalizedHost(String(host)) === named ? named : null;
  }
  const raw = req.headers.host;
  if (typeof raw !== 'string') return null;
  // Node keeps the first of several Host headers; two Hosts are ambiguous, so none is trusted.
  let hosts = 0;
  const rawHeaders = req.rawHeaders;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    // Only four-letter names can be Host: the others are not lower-cased (a copy each).
    const name = rawHeaders[i];
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host'))
      hosts++;
  }
  if (hosts !== 1) return null;
  return normalizedHost(raw);
}

/** The host as the client wrote it, port and all: Host, or HTTP/2's :authority. */
export function authorityOf(req: IncomingMessage): string | undefined {
  if (req.httpVersionMajor === 2)
    return (req.headers[':authority'] as string | undefined) ?? req.headers.host;
  return req.headers.host;
}

/** A lower-case host without port: a bracketed IPv6 literal or a name of letters, digits, dots and dashes. */
function checkHost(host: string): string | null {
  if (host.startsWith('[')) return host.endsWith(']') ? host : null;
  return HOST.test(host) ? host : null;
}

/** Host values repeat from request to request; their checked form is kept (a bounded cache). */
const hostCache = new Map<string, string | null>();
const HOST_CACHE_SIZE = 1024;

function normalizedHost(raw: string): string | null {
  const known = hostCache.get(raw);
  if (known !== undefined) return known;
  const checked = checkHost(raw.toLowerCase().replace(/:\d{1,5}$/, ''));
  if (hostCache.size >= HOST_CACHE_SIZE) hostCache.clear();
  hostCache.set(raw, checked);
  return checked;
}

/**
 * Splits an origin-form request target into path and query. Refuses what could re-target the request
 * past routing: absolute-form targets, dot segments (plain or percent-encoded), backslashes, NUL.
 */
export function gatewayPath(target: string): { path: string; query: string } | PathRejection {
  if (!target.startsWith('/'))
    return new PathRejection('request target must be a path (origin-form)');
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  // The common case costs one scan: nothing encoded, no dot, no backslash.
  if (!/[%.\\\0]/.test(path)) return { path, query };
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return new PathRejection('path has malformed percent-encoding');
  }
  if (decoded.includes('\\') || decoded.includes('\0'))
    return new PathRejection('path contains a forbidden character');
  if (decoded.split('/').some((segment) => segment === '.' || segment === '..')) {
    return new PathRejection('path contains dot segments');
  }
  return { path, query };
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, cheaply: this runs on every request. */
export function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
