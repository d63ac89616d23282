/**
 * Path and host patterns of the contract, and the question the registry must answer before it
 * accepts a route: could it match a request that another route matches?
 *
 * Paths: without `*` a pattern is a prefix on segment boundaries; `*` inside is exactly one segment;
 * a trailing `/*` is one or more segments. A pattern with an inner `*` and no trailing `/*` matches
 * exactly its own number of segments.
 */

export type PathTail = 'prefix' | 'rest' | 'exact';

export interface PathPattern {
  /** Literal segments, or `*` for one segment of any value. */
  segments: string[];
  /** What may follow the segments: prefix = zero or more, rest = one or more, exact = none. */
  tail: PathTail;
}

const WILDCARD = '*';

/** Splits `/a/b/` into `['a', 'b']`: empty segments (double or trailing slashes) are dropped. */
export function splitPath(path: string): string[] {
  // By hand: the gateway splits every request's path, and split + filter makes two arrays.
  const segments: string[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path.charCodeAt(i) === 47 /* '/' */) {
      if (i > start) segments.push(path.slice(start, i));
      start = i + 1;
    }
  }
  return segments;
}

/** Canonical form of a route path: leading slash, no trailing or doubled slashes. */
export function normalizeRoutePath(path: string): string {
  return '/' + splitPath(path).join('/');
}

export function parsePathPattern(path: string): PathPattern {
  const segments = splitPath(path);
  if (segments.length > 0 && segments[segments.length - 1] === WILDCARD) {
    return { segments: segments.slice(0, -1), tail: 'rest' };
  }
  return { segments, tail: segments.includes(WILDCARD) ? 'exact' : 'prefix' };
}

function lengthRange(pattern: PathPattern): [number, number] {
  const n = pattern.segments.length;
  if (pattern.tail === 'exact') return [n, n];
  if (pattern.tail === 'rest') return [n + 1, Infinity];
  return [n, Infinity];
}

/** True when some request path matches both patterns. */
export function pathsOverlap(a: string, b: string): boolean {
  const pa = parsePathPattern(a);
  const pb = parsePathPattern(b);
  const common = Math.min(pa.segments.length, pb.segments.length);
  for (let i = 0; i < common; i++) {
    const sa = pa.segments[i];
    const sb = pb.segments[i];
    if (sa !== WILDCARD && sb !== WILDCARD && sa !== sb) return false;
  }
  // Past the common part every remaining position of the shorter side is a free segment, so only
  // the possible lengths decide.
  const [minA, maxA] = lengthRange(pa);
  const [minB, maxB] = lengthRange(pb);
  return Math.max(minA, minB) <= Math.min(maxA, maxB);
}

/** `*.example.com` matches one or more labels before `.example.com`, never the apex itself. */
export function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  const suffix = pattern.slice(1);
  return host.length > suffix.length && host.endsWith(suffix);
}

/** True when some Host header matches both host patterns (null is any host). */
export function hostsOverlap(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return true;
  const aWild = a.startsWith('*.');
  const bWild = b.startsWith('*.');
  if (!aWild && !bWild) return a === b;
  if (aWild && !bWild) return hostMatches(a, b);
  if (!aWild && bWild) return hostMatches(b, a);
  return a.endsWith(b.slice(1)) || b.endsWith(a.slice(1));
}

export function methodsOverlap(a: string[] | null, b: string[] | null): boolean {
  if (a === null || b === null) return true;
  return a.some((method) => b.includes(method));
}

export interface RouteShape {
  host: string | null;
  path: string;
  methods: string[] | null;
}

/** True when one request could match both routes. */
export function routesOverlap(a: RouteShape, b: RouteShape): boolean {
  return (
    hostsOverlap(a.host, b.host) &&
    methodsOverlap(a.methods, b.methods) &&
    pathsOverlap(a.path, b.path)
  );
}
