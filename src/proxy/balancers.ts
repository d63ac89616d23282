import { hash32 } from '../common/hash';
import { LoadBalancer } from '../model/route';

/** Pure load-balancing choices over the UP instances of a route's service. */

export interface Backend {
  id: string;
  url: string;
  weight: number;
  zone: string | null;
}

/** A backend with its URL split once, when the gateway learns of it, not per request. */
export interface Upstream extends Backend {
  origin: string;
  /** Path the backend lives under ('' for none), prefixed to every forwarded path. */
  basePath: string;
}

export function toUpstream(backend: Backend): Upstream {
  const url = new URL(backend.url);
  // The URL itself when it is the origin (every registered instance): `url.origin` is a chain of
  // three string objects over a fourth, held per upstream for as long as it is UP.
  const origin = url.origin === backend.url ? backend.url : url.origin;
  // Named field by field: a spread gave every upstream a hidden class of its own (10,000 instances:
  // 10,000 maps, 2 MB, and the gateway's property reads on them megamorphic).
  return {
    id: backend.id,
    url: backend.url,
    weight: backend.weight,
    zone: backend.zone,
    origin,
    basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, ''),
  };
}

export interface PickContext {
  clientIp: string;
  /** Requests in flight to a backend, for least_connections. */
  inFlight(id: string): number;
}

export interface Balancer {
  pick<T extends Backend>(candidates: readonly T[], context: PickContext): T | null;
  /**
   * What the next `pick` would answer, without moving the balancer (route explain). Null for
   * `random`, which cannot say.
   */
  peek<T extends Backend>(candidates: readonly T[], context: PickContext): T | null;
}

class RoundRobin implements Balancer {
  private next = 0;

  pick<T extends Backend>(candidates: readonly T[]): T | null {
    if (candidates.length === 0) return null;
    this.next = (this.next + 1) % 0x7fffffff;
    return candidates[this.next % candidates.length];
  }

  peek<T extends Backend>(candidates: readonly T[]): T | null {
    if (candidates.length === 0) return null;
    return candidates[((this.next + 1) % 0x7fffffff) % candidates.length];
  }
}

/** nginx's smooth weighted round robin: 3:1 gives a a b a, not a a a b. */
class SmoothWeighted implements Balancer {
  private readonly current = new Map<string, number>();

  pick<T extends Backend>(candidates: readonly T[]): T | null {
    return this.choose(candidates, true);
  }

  peek<T extends Backend>(candidates: readonly T[]): T | null {
    return this.choose(candidates, false);
  }

  private choose<T extends Backend>(candidates: readonly T[], move: boolean): T | null {
    if (candidates.length === 0) return null;
    let total = 0;
    let best: T | null = null;
    let bestWeight = -Infinity;
    for (const backend of candidates) {
      const weight = (this.current.get(backend.id) ?? 0) + backend.weight;
      if (move) this.current.set(backend.id, weight);
      total += backend.weight;
      if (weight > bestWeight) {
        bestWeight = weight;
        best = backend;
      }
    }
    const chosen = best as T;
    if (!move) return chosen;
    this.current.set(chosen.id, bestWeight - total);
    if (this.current.size > candidates.length * 2) this.forgetGone(candidates);
    return chosen;
  }

  private forgetGone(candidates: readonly Backend[]): void {
    const live = new Set(candidates.map((c) => c.id));
    for (const id of this.current.keys()) if (!live.has(id)) this.current.delete(id);
  }
}

class LeastConnections implements Balancer {
  private readonly tieBreak = new RoundRobin();

  pick<T extends Backend>(candidates: readonly T[], context: PickContext): T | null {
    return this.tieBreak.pick(leastLoaded(candidates, context));
  }

  peek<T extends Backend>(candidates: readonly T[], context: PickContext): T | null {
    return this.tieBreak.peek(leastLoaded(candidates, context));
  }
}

/** The candidates with the fewest requests in flight. */
function leastLoaded<T extends Backend>(candidates: readonly T[], context: PickContext): T[] {
  let least = Infinity;
  const tied: T[] = [];
  for (const backend of candidates) {
    const load = context.inFlight(backend.id);
    if (load < least) {
      least = load;
      tied.length = 0;
    }
    if (load === least) tied.push(backend);
  }
  return tied;
}

class RandomChoice implements Balancer {
  pick<T extends Backend>(candidates: readonly T[]): T | null {
    return candidates.length === 0
      ? null
      : candidates[Math.floor(Math.random() * candidates.length)];
  }

  peek(): null {
    return null;
  }
}

const VIRTUAL_NODES = 64;

/**
 * Consistent hashing of the client IP: when an instance comes or goes, only the clients that hashed
 * to it move. The ring is rebuilt only when the set of candidates changes.
 */
class IpHash implements Balancer {
  private ringKey = '';
  private ring: { point: number; backend: Backend }[] = [];
  /** The array the ring was last checked against: the gateway hands the same one until a change. */
  private checked: readonly Backend[] | null = null;

  pick<T extends Backend>(candidates: readonly T[], context: PickContext): T | null {
    if (candidates.length === 0) return null;
    if (candidates !== this.checked) {
      const key = candidates.map((c) => `${c.id}@${c.url}`).join(',');
      if (key !== this.ringKey) this.build(candidates, key);
      this.checked = candidates;
    }
    const point = hash32(context.clientIp);
    let low = 0;
    let high = this.ring.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.ring[mid].point < point) low = mid + 1;
      else high = mid;
    }
    return this.ring[low % this.ring.length].backend as T;
  }

  /** The same client always gets the same instance: peeking is picking (the ring moves nothing). */
  peek<T extends Backend>(candidates: readonly T[], context: PickContext): T | null {
    return this.pick(candidates, context);
  }

  private build(candidates: readonly Backend[], key: string): void {
    this.ring = candidates
      .flatMap((backend) =>
        Array.from({ length: VIRTUAL_NODES }, (_, i) => ({
          point: hash32(`${backend.id}#${i}`),
          backend,
        })),
      )
      .sort((a, b) => a.point - b.point);
    this.ringKey = key;
  }
}

/** Prefers instances in the gateway's own zone; falls back to all when none of them is UP. */
class ZoneAware implements Balancer {
  private readonly inner = new RoundRobin();
  /** The local instances of the array last seen: the gateway hands the same one until a change. */
  private seen: readonly Backend[] | null = null;
  private local: readonly Backend[] = [];

  constructor(private readonly zone: string | null) {}

  pick<T extends Backend>(candidates: readonly T[]): T | null {
    return this.inner.pick(this.preferred(candidates));
  }

  peek<T extends Backend>(candidates: readonly T[]): T | null {
    return this.inner.peek(this.preferred(candidates));
  }

  private preferred<T extends Backend>(candidates: readonly T[]): readonly T[] {
    if (candidates !== this.seen) {
      this.local = this.zone === null ? [] : candidates.filter((c) => c.zone === this.zone);
      this.seen = candidates;
    }
    return this.local.length > 0 ? (this.local as readonly T[]) : candidates;
  }
}

export function createBalancer(kind: LoadBalancer | undefined, zone: string | null): Balancer {
  switch (kind) {
    case 'weighted':
      return new SmoothWeighted();
    case 'least_connections':
      return new LeastConnections();
    case 'random':
      return new RandomChoice();
    case 'ip_hash':
      return new IpHash();
    case 'zone':
      return new ZoneAware(zone);
    default:
      return new RoundRobin();
  }
}
