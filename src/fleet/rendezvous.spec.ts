import { checkerOf } from './rendezvous';

const ids = Array.from({ length: 3000 }, (_, i) => `instance-${i}`);

describe(checkerOf.name, () => {
  it('answers no checker without nodes, and the same one for the same members in any order', () => {
    expect(checkerOf('a', [])).toBeNull();
    for (const id of ids.slice(0, 50))
      expect(checkerOf(id, ['n1', 'n2', 'n3'])).toBe(checkerOf(id, ['n3', 'n1', 'n2']));
  });

  it('spreads instances about evenly over the nodes', () => {
    const counts = new Map<string, number>();
    for (const id of ids) {
      const node = checkerOf(id, ['n1', 'n2', 'n3']) as string;
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('moves only the instances of a leaving node, and about 1/N to a joining one', () => {
    const before = ids.map((id) => checkerOf(id, ['n1', 'n2', 'n3']));
    const after = ids.map((id) => checkerOf(id, ['n1', 'n3']));
    ids.forEach((_, i) => {
      if (before[i] !== 'n2') expect(after[i]).toBe(before[i]);
    });
    const joined = ids.map((id) => checkerOf(id, ['n1', 'n2', 'n3', 'n4']));
    const moved = joined.filter((node, i) => node !== before[i]);
    expect(moved.every((node) => node === 'n4')).toBe(true);
    expect(Math.abs(moved.length - 750)).toBeLessThan(120);
  });
});
