import { candidatesFor, hostOfFileName } from './sni';

describe('certificate file names', () => {
  it('maps a file name to the host it serves', () => {
    expect(hostOfFileName('api.example.com')).toBe('api.example.com');
    expect(hostOfFileName('API.Example.com')).toBe('api.example.com');
    expect(hostOfFileName('_wildcard.example.com')).toBe('*.example.com');
    expect(hostOfFileName('default')).toBe('');
    expect(hostOfFileName('localhost')).toBe('localhost');
  });

  it('ignores names that are no host', () => {
    expect(hostOfFileName('_wildcard.com')).toBeNull();
    expect(hostOfFileName('bad name')).toBeNull();
    expect(hostOfFileName('-x.example.com')).toBeNull();
    expect(hostOfFileName('a..b')).toBeNull();
    expect(hostOfFileName('')).toBeNull();
  });
});

describe('candidates for a server name', () => {
  it('tries the name, then the wildcard one label up', () => {
    expect(candidatesFor('a.example.com')).toEqual(['a.example.com', '*.example.com']);
    expect(candidatesFor('A.Example.COM.')).toEqual(['a.example.com', '*.example.com']);
  });

  it('never lets a wildcard cover a top-level domain or two labels', () => {
    expect(candidatesFor('example.com')).toEqual(['example.com', null]);
    expect(candidatesFor('localhost')).toEqual(['localhost', null]);
    expect(candidatesFor('b.a.example.com')[1]).toBe('*.a.example.com');
  });
});
