import { LOAD_BALANCERS } from '../model/route';
import { Backend, createBalancer, PickContext } from './balancers';

const backends = (n: number, weights: number[] = [], zones: (string | null)[] = []): Backend[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `i${i}`,
    url: `http://10.0.0.${i}`,
    weight: weights[i] ?? 1,
    zone: zones[i] ?? null,
  }));

const context = (clientIp = '10.1.1.1', inFlight: Record<string, number> = {}): PickContext => ({
  clientIp,
  inFlight: (id) => inFlight[id] ?? 0,
});

function counts(
  kind: Parameters<typeof createBalancer>[0],
  pool: Backend[],
  n: number,
  ctx = context(),
) {
  const balancer = createBalancer(kind, 'z1');
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = balancer.pick(pool, ctx)?.id ?? 'none';
    seen[id] = (seen[id] ?? 0) + 1;
  }
  return seen;
}

describe('balancers', () => {
  it('answers null with no candidates', () => {
    for (const kind of LOAD_BALANCERS) {
      expect(createBalancer(kind, null).pick([], context())).toBeNull();
    }
  });

  it('peeks at the next pick without moving, for every kind but random', () => {
    const pool = backends(3, [3, 1, 2], ['z1', 'z2', 'z1']);
    const ctx = context('10.1.1.1', { i0: 2, i1: 0, i2: 0 });
    for (const kind of LOAD_BALANCERS) {
      const balancer = createBalancer(kind, 'z1');
      for (let i = 0; i < 7; i++) {
        const peeked = balancer.peek(pool, ctx);
        if (kind === 'random') expect(peeked).toBeNull();
        else {
          expect(balancer.peek(pool, ctx)).toBe(peeked);
          expect(balancer.pick(pool, ctx)).toBe(peeked);
        }
      }
    }
  });

  it('round_robin spreads exactly evenly', () => {
    expect(counts('round_robin', backends(3), 300)).toEqual({ i0: 100, i1: 100, i2: 100 });
  });

  it('weighted follows the weights smoothly', () => {
    const pool = backends(2, [3, 1]);
    expect(counts('weighted', pool, 400)).toEqual({ i0: 300, i1: 100 });
    const balancer = createBalancer('weighted', null);
    const order = Array.from({ length: 4 }, () => balancer.pick(pool, context())?.id);
    expect(order).toEqual(['i0', 'i0', 'i1', 'i0']);
  });

  it('least_connections picks the least busy', () => {
    const ctx = context('1.1.1.1', { i0: 5, i1: 0, i2: 3 });
    expect(counts('least_connections', backends(3), 10, ctx)).toEqual({ i1: 10 });
  });

  it('random spreads roughly evenly', () => {
    const seen = counts('random', backends(4), 4000);
    for (const id of ['i0', 'i1', 'i2', 'i3']) expect(Math.abs(seen[id] - 1000)).toBeLessThan(200);
  });

  it('ip_hash keeps a client on one instance and moves few clients when one goes', () => {
    const pool = backends(5);
    const balancer = createBalancer('ip_hash', null);
    const clients = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const before = clients.map((ip) => balancer.pick(pool, context(ip))?.id);
    expect(clients.map((ip) => balancer.pick(pool, context(ip))?.id)).toEqual(before);
    const after = clients.map((ip) => balancer.pick(pool.slice(0, 4), context(ip))?.id);
    const moved = before.filter((id, i) => id !== 'i4' && id !== after[i]).length;
    expect(moved).toBe(0); // only the clients of the removed instance move
    const spread = counts('ip_hash', pool, 1, context());
    expect(Object.keys(spread)).toHaveLength(1);
  });

  it('zone prefers the gateway zone and falls back to the rest', () => {
    const pool = backends(3, [], ['z1', 'z2', 'z2']);
    expect(counts('zone', pool, 30)).toEqual({ i0: 30 });
    expect(Object.keys(counts('zone', pool.slice(1), 30)).sort()).toEqual(['i1', 'i2']);
  });
});
