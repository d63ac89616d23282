import { hostMatches, parsePathPattern, PathTail, splitPath } from '../model/route-pattern';
import { RouteRecord } from '../model/route';

/**
 * The compiled route table: routes grouped by host pattern, each group a segment trie. A lookup
 * walks one trie per matching host group, at most as deep as the request path, so its cost does not
 * grow with the number of routes. Most specific wins: an exact host before a wildcard host before
 * any host; then more literal segments; then a method-specific route before an any-method one; then
 * the config file before registered routes.
 */

interface Entry<P> extends RouteMatch<P> {
  tail: PathTail;
  literals: number;
  depth: number;
  /** Lower sorts first when all else is equal: config routes win. */
  rank: number;
}

interface TrieNode<P> {
  /** Null on leaves: most nodes are, and a lookup then touches no empty map. */
  literal: Map<string, TrieNode<P>> | null;
  wildcard: TrieNode<P> | null;
  entries: Entry<P>[];
}

const newNode = <P>(): TrieNode<P> => ({ literal: null, wildcard: null, entries: [] });

/** A match is the table's own entry, not a copy: a lookup allocates no answer. */
export interface RouteMatch<P = undefined> {
  readonly route: RouteRecord;
  /** What the owner of the table keeps with the route (the gateway: its runtime state). */
  readonly payload: P;
  /** Path segments the pattern's literal prefix covers (for strip_prefix). */
  readonly prefixDepth: number;
}

function better<P>(a: Entry<P>, b: Entry<P>, method: string): boolean {
  if (a.literals !== b.literals) return a.literals > b.literals;
  const aSpecific = a.route.methods !== null && a.route.methods.includes(method);
  const bSpecific = b.route.methods !== null && b.route.methods.includes(method);
  if (aSpecific !== bSpecific) return aSpecific;
  if (a.depth !== b.depth) return a.depth > b.depth;
  return a.rank < b.rank;
}

/** Where a route sits in the table, so it can be taken out without a rebuild. */
interface Placement<P> {
  group: HostGroup<P>;
  entry: Entry<P>;
  /** Nodes from the group's root down to the one holding the entry. */
  path: TrieNode<P>[];
  /** The edge taken into each node of `path` after the root: a literal segment or '*'. */
  edges: string[];
}

interface HostGroup<P> {
  key: string;
  root: TrieNode<P>;
  routes: number;
}

/**
 * Routes change one at a time (add, replace, remove) in O(depth of the route's path), never by a
 * rebuild, so registering the 10,001st route costs what registering the first did. Each route
 * carries a payload of its owner's, made when the route is added and answered with every match.
 */
export class RouteTable<P = undefined> {
  private readonly exactHosts = new Map<string, HostGroup<P>>();
  /** Wildcard host patterns, longest suffix first. */
  private wildcardHosts: HostGroup<P>[] = [];
  private readonly anyHost: HostGroup<P> = { key: '', root: newNode(), routes: 0 };
  private readonly placements = new Map<string, Placement<P>>();
  /** Among equally specific routes, config routes win, then the route that came first. */
  private nextConfigRank = 0;
  private nextRank = 1_000_000_000;

  /** A table of the routes, each with no payload (or with the payload `payloadOf` makes). */
  constructor(routes: readonly RouteRecord[] = [], payloadOf?: (route: RouteRecord) => P) {
    for (const route of routes) this.add(route, payloadOf?.(route) as P);
  }

  get size(): number {
    return this.placements.size;
  }

  /** Adds a route, or replaces the route with its id (which keeps its place among equals). */
  add(route: RouteRecord, payload: P = undefined as P): void {
    const known = this.placements.get(route.id);
    if (known) this.remove(route.id);
    const group = this.groupFor(route.host);
    const rank =
      known?.entry.rank ?? (route.origin === 'config' ? this.nextConfigRank++ : this.nextRank++);
    this.placements.set(route.id, this.insert(group, route, payload, rank));
    group.routes++;
  }

  /** Takes a route out, and with it every node only it needed. */
  remove(id: string): void {
    const placement = this.placements.get(id);
    if (!placement) return;
    this.placements.delete(id);
    const { group, entry, path, edges } = placement;
    const holder = path[path.length - 1];
    holder.entries.splice(holder.entries.indexOf(entry), 1);
    for (let depth = path.length - 1; depth > 0; depth--) {
      const node = path[depth];
      if (node.entries.length > 0 || node.wildcard || (node.literal && node.literal.size > 0))
        break;
      const parent = path[depth - 1];
      const edge = edges[depth - 1];
      if (edge === '*') parent.wildcard = null;
      else {
        parent.literal?.delete(edge);
        if (parent.literal?.size === 0) parent.literal = null;
      }
    }
    if (--group.routes === 0 && group !== this.anyHost) {
      if (group.key.startsWith('*.'))
        this.wildcardHosts = this.wildcardHosts.filter((g) => g !== group);
      else this.exactHosts.delete(group.key);
    }
  }

  /** The most specific route for a request, or null (404). `host` is lower-case without port. */
  match(host: string, path: string, method: string): RouteMatch<P> | null {
    const segments = splitPath(path);
    const exact = this.exactHosts.get(host);
    if (exact) {
      const found = this.lookup(exact.root, segments, method);
      if (found) return found;
    }
    for (const group of this.wildcardHosts) {
      if (!hostMatches(group.key, host)) continue;
      const found = this.lookup(group.root, segments, method);
      if (found) return found;
    }
    return this.lookup(this.anyHost.root, segments, method);
  }

  private groupFor(host: string | null): HostGroup<P> {
    if (host === null) return this.anyHost;
    if (!host.startsWith('*.')) {
      let group = this.exactHosts.get(host);
      if (!group) {
        group = { key: host, root: newNode(), routes: 0 };
        this.exactHosts.set(host, group);
      }
      return group;
    }
    let group = this.wildcardHosts.find((g) => g.key === host);
    if (!group) {
      group = { key: host, root: newNode(), routes: 0 };
      this.wildcardHosts.push(group);
      this.wildcardHosts.sort((a, b) => b.key.length - a.key.length);
    }
    return group;
  }

  private insert(group: HostGroup<P>, route: RouteRecord, payload: P, rank: number): Placement<P> {
    const pattern = parsePathPattern(route.path);
    let node = group.root;
    const path = [node];
    const edges: string[] = [];
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
      path.push(node);
      edges.push(segment);
    }
    const firstWildcard = pattern.segments.indexOf('*');
    const depth = pattern.segments.length;
    const prefixDepth = firstWildcard < 0 ? depth : firstWildcard;
    const entry: Entry<P> = {
      route,
      payload,
      tail: pattern.tail,
      literals,
      depth,
      rank,
      prefixDepth,
    };
    node.entries.push(entry);
    return { group, entry, path, edges };
  }

  private lookup(root: TrieNode<P>, segments: string[], method: string): RouteMatch<P> | null {
    return walk(root, segments, 0, method, null);
  }
}

/**
 * Depth-first over literal and wildcard branches, bounded by the path's segments; answers the best
 * entry found so far. Plain functions, not closures: a lookup runs per request and allocates nothing.
 */
function walk<P>(
  node: TrieNode<P>,
  segments: string[],
  depth: number,
  method: string,
  best: Entry<P> | null,
): Entry<P> | null {
  best = bestAt(node, segments.length - depth, method, best);
  if (depth === segments.length) return best;
  const literal = node.literal?.get(segments[depth]);
  if (literal) best = walk(literal, segments, depth + 1, method, best);
  if (node.wildcard) best = walk(node.wildcard, segments, depth + 1, method, best);
  return best;
}

/** The better of `best` and the entries of `node` that fit with `remaining` segments left. */
function bestAt<P>(
  node: TrieNode<P>,
  remaining: number,
  method: string,
  best: Entry<P> | null,
): Entry<P> | null {
  for (const entry of node.entries) {
    const fits =
      entry.tail === 'prefix' || (entry.tail === 'rest' ? remaining >= 1 : remaining === 0);
    if (!fits) continue;
    if (entry.route.methods !== null && !entry.route.methods.includes(method)) continue;
    if (best === null || better(entry, best, method)) best = entry;
  }
  return best;
}
