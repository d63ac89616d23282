import { DiscoveryCache } from './discovery-cache';

describe(DiscoveryCache.name, () => {
  it('builds once per type and variant until the type is invalidated', () => {
    const cache = new DiscoveryCache();
    let builds = 0;
    const build = () => String(++builds);
    expect(cache.get('a', 'all', build)).toBe('1');
    expect(cache.get('a', 'all', build)).toBe('1');
    expect(cache.get('a', 'up', build)).toBe('2');
    expect(cache.get('b', 'all', build)).toBe('3');
    cache.invalidate('a');
    expect(cache.get('a', 'all', build)).toBe('4');
    expect(cache.get('b', 'all', build)).toBe('3');
  });

  it('keeps a bounded number of variants per type', () => {
    const cache = new DiscoveryCache(2);
    let builds = 0;
    const build = () => String(++builds);
    cache.get('a', 'x', build);
    cache.get('a', 'y', build);
    cache.get('a', 'z', build);
    expect(cache.get('a', 'x', build)).toBe('4');
  });
});
