import {
  hostMatches,
  parsePathPattern,
  PathTail,
  splitPath,
} from '../registry/routes/route-pattern';
import { RouteRecord } from '../registry/routes/route.model';

/**
 * The compiled route table: routes grouped by host pattern, each group a segment trie. A lookup
 * walks one trie per matching host group, at most as deep as the request path, so its cost does not
 * grow with the number of routes. Most specific wins: an exact host before a wildcard host before
 * any host; then more literal segments; then a method-specific route before an any-method one; then
 * the config file before registered routes.
 */

interface Entry {
  route: RouteRecord;
  tail: PathTail;
  literals: number;
  depth: number;
  /** Lower sorts first when all else is equal: config routes win. */
  rank: number;
  /** Segments of the literal prefix, before the first wildcard (what strip_prefix removes). */
  prefixDepth: number;
}

interface TrieNode {
  /** Null on leaves: most nodes are, and a lookup then touches no empty map. */
  literal: Map<string, TrieNode> | null;
  wildcard: TrieNode | null;
  entries: Entry[];
}

const newNode = (): TrieNode => ({ literal: null, wildcard: null, entries: [] });

export interface RouteMatch {
  route: RouteRecord;
  /** Path segments the pattern's literal prefix covers (for strip_prefix). */
  prefixDepth: number;
}

function better(a: Entry, b: Entry, method: string): boolean {
  if (a.literals !== b.literals) return a.literals > b.literals;
  const aSpecific = a.route.methods !== null && a.route.methods.includes(method);
  const bSpecific = b.route.methods !== null && b.route.methods.includes(method);
  if (aSpecific !== bSpecific) return aSpecific;
  if (a.depth !== b.depth) return a.depth > b.depth;
  return a.rank < b.rank;
}

export class RouteTable {
  private readonly exactHosts = new Map<string, TrieNode>();
  /** Wildcard host patterns, longest suffix first. */
  private readonly wildcardHosts: [string, TrieNode][] = [];
  private readonly anyHost = newNode();
  readonly size: number;

  constructor(routes: readonly RouteRecord[]) {
    const wildcards = new Map<string, TrieNode>();
    routes.forEach((route, index) => {
      let root: TrieNode;
      if (route.host === null) root = this.anyHost;
      else if (route.host.startsWith('*.')) {
        root = wildcards.get(route.host) ?? newNode();
        wildcards.set(route.host, root);
      } else {
        root = this.exactHosts.get(route.host) ?? newNode();
        this.exactHosts.set(route.host, root);
      }
      this.insert(root, route, route.origin === 'config' ? index : routes.length + index);
    });
    this.wildcardHosts = [...wildcards.entries()].sort((a, b) => b[0].length - a[0].length);
    this.size = routes.length;
  }

  /** The most specific route for a request, or null (404). `host` is lower-case without port. */
  match(host: string, path: string, method: string): RouteMatch | null {
    const segments = splitPath(path);
    const exact = this.exactHosts.get(host);
    if (exact) {
      const found = this.lookup(exact, segments, method);
      if (found) return found;
    }
    for (const [pattern, root] of this.wildcardHosts) {
      if (!hostMatches(pattern, host)) continue;
      const found = this.lookup(root, segments, method);
      if (found) return found;
    }
    return this.lookup(this.anyHost, segments, method);
  }

  private insert(root: TrieNode, route: RouteRecord, rank: number): void {
    const pattern = parsePathPattern(route.path);
    let node = root;
    let literals = 0;
    for (const segment of pattern.segments) {
      if (segment === '*') {
        node.wildcard ??= newNode();
        node = node.wildcard;
      } else {
        literals++;
        node.literal ??= new Map();
        let child = node.literal.get(segment);
        if (!child) {
          child = newNode();
          node.literal.set(segment, child);
        }
        node = child;
      }
    }
    const firstWildcard = pattern.segments.indexOf('*');
    const depth = pattern.segments.length;
    const prefixDepth = firstWildcard < 0 ? depth : firstWildcard;
    node.entries.push({ route, tail: pattern.tail, literals, depth, rank, prefixDepth });
  }

  private lookup(root: TrieNode, segments: string[], method: string): RouteMatch | null {
    let best: Entry | null = null;
    const consider = (node: TrieNode, depth: number) => {
      const remaining = segments.length - depth;
      for (const entry of node.entries) {
        const fits =
          entry.tail === 'prefix' || (entry.tail === 'rest' ? remaining >= 1 : remaining === 0);
        if (!fits) continue;
        if (entry.route.methods !== null && !entry.route.methods.includes(method)) continue;
        if (best === null || better(entry, best, method)) best = entry;
      }
    };
    // Depth-first over literal and wildcard branches; depth is bounded by the path's segments.
    const walk = (node: TrieNode, depth: number) => {
      consider(node, depth);
      if (depth === segments.length) return;
      const literal = node.literal?.get(segments[depth]);
      if (literal) walk(literal, depth + 1);
      if (node.wildcard) walk(node.wildcard, depth + 1);
    };
    walk(root, 0);
    if (best === null) return null;
    const chosen: Entry = best;
    return { route: chosen.route, prefixDepth: chosen.prefixDepth };
  }
}
