import {
  hostMatches,
  hostsOverlap,
  normalizeRoutePath,
  pathsOverlap,
  routesOverlap,
} from './route-pattern';

describe('route patterns', () => {
  it('normalizes paths', () => {
    expect(normalizeRoutePath('/v2/')).toBe('/v2');
    expect(normalizeRoutePath('//a//b')).toBe('/a/b');
    expect(normalizeRoutePath('/')).toBe('/');
  });

  it.each([
    ['/v2', '/v2', true],
    ['/v2', '/v2/users', true],
    ['/v2', '/v2x', false],
    ['/api/comments/*', '/api/comments/1/likes', true],
    ['/api/comments/*', '/api/comments', true],
    ['/api/comments/*/reply', '/api/comments/1', true],
    ['/api/comments/*/reply', '/api/*/1', false],
    ['/api/comments/*/reply', '/api/comments/1/reply/x', false],
    ['/api/comments/*/reply', '/api/*/7/reply', true],
    ['/', '/anything', true],
    ['/a/*', '/b', false],
  ])('%p and %p overlap: %p', (a, b, expected) => {
    expect(pathsOverlap(a, b)).toBe(expected);
    expect(pathsOverlap(b, a)).toBe(expected);
  });

  it('lets a trailing /* need one more segment than its prefix', () => {
    expect(pathsOverlap('/a/b/*', '/a/*/b')).toBe(true); // both match /a/b/b
    expect(pathsOverlap('/a/b/*', '/a/*')).toBe(true);
    expect(pathsOverlap('/a/*', '/*/b/c/*/d')).toBe(true);
    expect(pathsOverlap('/a/b/*', '/x/*/b')).toBe(false);
    // exact: /a/*/c is three segments; /a/b/* needs at least three: /a/b/c matches both.
    expect(pathsOverlap('/a/*/c', '/a/b/*')).toBe(true);
    expect(pathsOverlap('/a/*/c', '/a/b/c/*')).toBe(false);
  });

  it('matches wildcard hosts on one or more labels, never the apex', () => {
    expect(hostMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'a.b.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'badexample.com')).toBe(false);
  });

  it.each([
    [null, 'a.com', true],
    ['a.com', 'a.com', true],
    ['a.com', 'b.com', false],
    ['*.a.com', 'x.a.com', true],
    ['*.a.com', 'a.com', false],
    ['*.a.com', '*.x.a.com', true],
    ['*.a.com', '*.b.com', false],
  ])('hosts %p and %p overlap: %p', (a, b, expected) => {
    expect(hostsOverlap(a, b)).toBe(expected);
    expect(hostsOverlap(b, a)).toBe(expected);
  });

  it('needs host, method and path to overlap at once', () => {
    const base = { host: 'api.example.com', path: '/v2', methods: ['GET'] };
    expect(routesOverlap(base, { host: null, path: '/v2/users', methods: null })).toBe(true);
    expect(routesOverlap(base, { host: null, path: '/v2', methods: ['POST'] })).toBe(false);
    expect(routesOverlap(base, { host: 'other.com', path: '/v2', methods: null })).toBe(false);
  });
});
