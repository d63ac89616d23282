import type { CorsOptions } from '../../model/route';

/** Methods a preflight may ask for when neither `cors.methods` nor the route names any. */
const COMMON_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export type HeaderSet = Record<string, string>;

/**
 * A route's `cors`, compiled once: which origins it allows, and the headers of a preflight answer
 * and of an ordinary answer for one of them. Browsers send `Origin` as scheme://host[:port] in
 * lower case; an origin not allowed gets no Access-Control-Allow-* header at all, so the browser
 * refuses the page its answer.
 */
export class CorsPolicy {
  private readonly exact: ReadonlySet<string>;
  /** `https://*.example.com` → ['https://', '.example.com']. */
  private readonly wildcards: ReadonlyArray<readonly [string, string]>;
  private readonly any: boolean;
  private readonly allowMethods: string;
  private readonly allowHeaders: string | null;
  private readonly expose: string | null;
  /** The answer depends on Origin unless any origin gets the same `*`. */
  readonly varies: boolean;

  constructor(
    private readonly options: CorsOptions,
    routeMethods: string[] | null,
  ) {
    this.any = options.origins.includes('*');
    this.exact = new Set(
      options.origins.filter((o) => !o.includes('*')).map((o) => o.toLowerCase()),
    );
    this.wildcards = options.origins
      .filter((o) => o.includes('://*.'))
      .map((o) => {
        const [scheme, rest] = o.toLowerCase().split('://*');
        return [`${scheme}://`, rest] as const;
      });
    this.allowMethods = (options.methods ?? routeMethods ?? COMMON_METHODS).join(', ');
    this.allowHeaders = options.headers ? options.headers.join(', ') : null;
    this.expose = options.expose_headers.length > 0 ? options.expose_headers.join(', ') : null;
    // With credentials the answer must name the origin, never `*`, so it varies with it.
    this.varies = !this.any || options.credentials;
  }

  allows(origin: string): boolean {
    if (this.any) return true;
    const lower = origin.toLowerCase();
    if (this.exact.has(lower)) return true;
    for (const [scheme, suffix] of this.wildcards) {
      // One label or more before the suffix, as with route hosts: never the apex itself.
      if (
        lower.startsWith(scheme) &&
        lower.endsWith(suffix) &&
        lower.length > scheme.length + suffix.length
      )
        return true;
    }
    return false;
  }

  /** The headers of an ordinary answer to a request from `origin` (none when it is not allowed). */
  answerHeaders(origin: string | undefined): HeaderSet | null {
    if (origin === undefined || !this.allows(origin)) return null;
    const headers: HeaderSet = { 'access-control-allow-origin': this.allowedOrigin(origin) };
    if (this.options.credentials) headers['access-control-allow-credentials'] = 'true';
    if (this.expose !== null) headers['access-control-expose-headers'] = this.expose;
    return headers;
  }

  /** The gateway's whole answer to a preflight: 204 with these headers. */
  preflightHeaders(origin: string | undefined, requestedHeaders: string | undefined): HeaderSet {
    const headers: HeaderSet = this.varies ? { vary: 'Origin' } : {};
    if (origin === undefined || !this.allows(origin)) return headers;
    headers['access-control-allow-origin'] = this.allowedOrigin(origin);
    headers['access-control-allow-methods'] = this.allowMethods;
    const allowHeaders = this.allowHeaders ?? sanitizedList(requestedHeaders);
    if (allowHeaders) headers['access-control-allow-headers'] = allowHeaders;
    if (this.options.credentials) headers['access-control-allow-credentials'] = 'true';
    if (this.options.max_age !== null)
      headers['access-control-max-age'] = String(this.options.max_age);
    if (requestedHeaders !== undefined && this.allowHeaders === null)
      headers.vary = this.varies
        ? 'Origin, Access-Control-Request-Headers'
        : 'Access-Control-Request-Headers';
    return headers;
  }

  private allowedOrigin(origin: string): string {
    return this.any && !this.options.credentials ? '*' : origin;
  }
}

/** A preflight's Access-Control-Request-Headers echoed back: only header-name tokens and commas. */
function sanitizedList(value: string | undefined): string | null {
  if (value === undefined) return null;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/.test(name));
  return names.length > 0 ? names.slice(0, 64).join(', ') : null;
}
