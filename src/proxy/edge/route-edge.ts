import { CidrList } from '../../common/cidr';
import {
  parseTemplate,
  REDIRECT_VARIABLES,
  RedirectVariable,
  renderTemplate,
  TemplatePart,
} from '../../model/edge-rules';
import type { CompressionOptions, RedirectStatus, RouteRecord } from '../../model/route';
import { CorsPolicy, HeaderSet } from './cors-policy';
import { CompiledHeaderRules, HeaderValues } from './header-rules';

interface CompiledRedirect {
  parts: TemplatePart<RedirectVariable>[];
  status: RedirectStatus;
  /** The request's query goes along unless `to` places it (`${query}`) or has one of its own. */
  appendQuery: boolean;
}

/**
 * A route's edge options (CORS, header rules, redirect, rewrite, body limit, client CIDRs,
 * compression),
 * compiled once when the route enters the table. A route that uses none has no RouteEdge at all,
 * so its requests pay one null check for every one of them.
 */
export interface RouteEdge {
  allow: CidrList | null;
  deny: CidrList | null;
  cors: CorsPolicy | null;
  redirect: CompiledRedirect | null;
  rewrite: { pattern: RegExp; replacement: string } | null;
  maxBodySize: number | null;
  requestRules: CompiledHeaderRules | null;
  responseRules: CompiledHeaderRules | null;
  compression: CompressionOptions | null;
}

export function compileEdge(route: RouteRecord): RouteEdge | null {
  const o = route.options;
  if (
    !o.cors &&
    !o.request_headers &&
    !o.response_headers &&
    !o.redirect &&
    !o.rewrite &&
    o.max_body_size === undefined &&
    !o.allow_from &&
    !o.deny_from &&
    !o.compression
  )
    return null;
  return {
    allow: o.allow_from ? new CidrList(o.allow_from) : null,
    deny: o.deny_from ? new CidrList(o.deny_from) : null,
    cors: o.cors ? new CorsPolicy(o.cors, route.methods) : null,
    redirect: o.redirect
      ? {
          parts: parseTemplate(o.redirect.to, REDIRECT_VARIABLES),
          status: o.redirect.status,
          appendQuery: !o.redirect.to.includes('${query}') && !o.redirect.to.includes('?'),
        }
      : null,
    rewrite: o.rewrite
      ? { pattern: new RegExp(o.rewrite.pattern), replacement: o.rewrite.replacement }
      : null,
    maxBodySize: o.max_body_size ?? null,
    requestRules: o.request_headers ? new CompiledHeaderRules(o.request_headers) : null,
    responseRules: o.response_headers ? new CompiledHeaderRules(o.response_headers) : null,
    compression: o.compression ?? null,
  };
}

/** `deny_from` wins; with `allow_from`, only its CIDRs get in. */
export function clientAllowed(edge: RouteEdge, clientIp: string): boolean {
  if (edge.deny !== null && edge.deny.contains(clientIp)) return false;
  return edge.allow === null || edge.allow.contains(clientIp);
}

export function redirectLocation(
  redirect: CompiledRedirect,
  request: { path: string; query: string; host: string },
): string {
  const location = renderTemplate(redirect.parts, request);
  return redirect.appendQuery ? location + request.query : location;
}

/** The path after `rewrite` (the query stays apart); a result that lost its leading / gets it back. */
export function rewritePath(rewrite: NonNullable<RouteEdge['rewrite']>, path: string): string {
  const result = path.replace(rewrite.pattern, rewrite.replacement);
  return result.startsWith('/') ? result : `/${result}`;
}

/** What one request adds to its answer's headers: the route's response rules and CORS headers. */
export interface ResponseEdge {
  rules: CompiledHeaderRules | null;
  values: HeaderValues | null;
  cors: HeaderSet | null;
  varyOrigin: boolean;
}

/** Applies a request's ResponseEdge to an answer's lower-case header object, in place. */
export function applyResponseEdge(
  headers: Record<string, string | string[] | number>,
  edge: ResponseEdge,
): void {
  edge.rules?.apply(headers, edge.values);
  if (edge.cors !== null) for (const name in edge.cors) headers[name] = edge.cors[name];
  if (edge.varyOrigin) {
    const vary = headers.vary;
    if (vary === undefined || vary === '') headers.vary = 'Origin';
    else if (!/(^|,)\s*(origin|\*)\s*(,|$)/i.test(String(vary)))
      headers.vary = `${String(vary)}, Origin`;
  }
}
