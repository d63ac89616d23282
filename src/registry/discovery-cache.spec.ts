import { DiscoveryCache } from './discovery-cache';

describe(DiscoveryCache.name, () => {
  const counter = () => {
    let builds = 0;
    return () => String(++builds);
  };

  it('builds once per type and variant until the type is invalidated', () => {
    const cache = new DiscoveryCache();
    const build = counter();
    expect(cache.get('a', 'all', build)).toBe('1');
    expect(cache.get('a', 'all', build)).toBe('1');
    expect(cache.get('a', 'up', build)).toBe('2');
    expect(cache.get('b', 'all', build)).toBe('3');
    cache.invalidate('a');
    expect(cache.get('a', 'all', build)).toBe('4');
    expect(cache.get('b', 'all', build)).toBe('3');
  });

  it('lets bookkeeping-only changes lag by at most the allowed time', () => {
    const cache = new DiscoveryCache(1_000);
    const build = counter();
    expect(cache.get('a', 'all', build, 0)).toBe('1');
    cache.touch('a');
    expect(cache.get('a', 'all', build, 999)).toBe('1');
    expect(cache.get('a', 'all', build, 1_000)).toBe('2');
    expect(cache.get('a', 'all', build, 1_500)).toBe('2');
  });

  it('keeps a bounded number of variants per type', () => {
    const cache = new DiscoveryCache(1_000, 2);
    const build = counter();
    cache.get('a', 'x', build);
    cache.get('a', 'y', build);
    cache.get('a', 'z', build);
    expect(cache.get('a', 'x', build)).toBe('4');
  });
});
