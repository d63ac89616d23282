import { requestIdOf, responseHeaders, upstreamHeaders } from './forward-headers';
import type { IncomingMessage } from 'node:http';
import { authorityOf, gatewayPath, hostOf, PathRejection } from './request-target';

const context = {
  clientIp: '10.0.0.9',
  host: 'api.example.com',
  proto: 'http' as const,
  requestId: 'rid-1',
  apiKeyName: null,
};

describe('forward headers', () => {
  it('appends to X-Forwarded-For and sets the forwarding headers', () => {
    const headers = upstreamHeaders(
      { 'x-forwarded-for': '1.1.1.1', accept: 'text/plain', host: 'api.example.com' },
      context,
    );
    expect(headers).toEqual({
      accept: 'text/plain',
      'x-forwarded-for': '1.1.1.1, 10.0.0.9',
      'x-forwarded-host': 'api.example.com',
      'x-forwarded-proto': 'http',
      'x-request-id': 'rid-1',
    });
  });

  it('drops hop-by-hop headers, those named in Connection, and a client X-Api-Key-Name', () => {
    const headers = upstreamHeaders(
      {
        connection: 'keep-alive, x-secret',
        'x-secret': 'a',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'x-api-key-name': 'forged',
        'x-kept': 'b',
      },
      { ...context, apiKeyName: 'reader' },
    );
    expect(headers['x-secret']).toBeUndefined();
    expect(headers['keep-alive']).toBeUndefined();
    expect(headers.te).toBeUndefined();
    expect(headers['x-kept']).toBe('b');
    expect(headers['x-api-key-name']).toBe('reader');
  });

  it('passes no HTTP/2 pseudo-header on, and says https when the client came over TLS', () => {
    const headers = upstreamHeaders(
      {
        ':method': 'GET',
        ':path': '/x',
        ':scheme': 'https',
        ':authority': 'api.example.com',
        accept: '*/*',
      },
      { ...context, proto: 'https' },
    );
    expect(Object.keys(headers).filter((name) => name.startsWith(':'))).toEqual([]);
    expect(headers['x-forwarded-proto']).toBe('https');
    expect(headers.accept).toBe('*/*');
  });

  it('never lets Connection remove the gateway X-Forwarded-For', () => {
    const headers = upstreamHeaders(
      { connection: 'x-forwarded-for', 'x-forwarded-for': '6.6.6.6' },
      context,
    );
    expect(headers['x-forwarded-for']).toBe('10.0.0.9');
  });

  it('keeps a sane client request id and replaces anything else', () => {
    expect(requestIdOf({ 'x-request-id': 'abc-123' }, () => 'new')).toBe('abc-123');
    expect(requestIdOf({ 'x-request-id': 'has space' }, () => 'new')).toBe('new');
    expect(requestIdOf({}, () => 'new')).toBe('new');
  });
});

describe('gatewayPath', () => {
  it.each([
    '/a/../b',
    '/a/%2e%2e/b',
    '/a/%2E%2E',
    '/a/./b',
    '/a\\b',
    '/a/%5cb',
    '/a%00',
    'http://evil/x',
    '*',
    '/%zz',
  ])('refuses %p', (target) => {
    expect(gatewayPath(target)).toBeInstanceOf(PathRejection);
  });

  it('splits path and query and accepts ordinary dots', () => {
    expect(gatewayPath('/v2/users?x=1')).toEqual({ path: '/v2/users', query: '?x=1' });
    expect(gatewayPath('/static/app.min.js')).toEqual({ path: '/static/app.min.js', query: '' });
  });
});

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

describe('responseHeaders', () => {
  it('strips hop-by-hop headers and the names Connection lists', () => {
    expect(
      responseHeaders(
        raw(
          'Connection',
          'close, X-Internal',
          'X-Internal',
          '1',
          'Transfer-Encoding',
          'chunked',
          'Keep-Alive',
          'timeout=5',
          'Content-Type',
          'a/b',
        ),
      ),
    ).toEqual({ 'content-type': 'a/b' });
  });

  it('keeps repeated headers, such as Set-Cookie, as a list', () => {
    expect(
      responseHeaders(raw('Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'Set-Cookie', 'c=3')),
    ).toEqual({
      'set-cookie': ['a=1', 'b=2', 'c=3'],
    });
  });

  it('drops a __proto__ header instead of touching the prototype', () => {
    const headers = responseHeaders(raw('__proto__', 'x', 'ETag', '"1"'));
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(headers).toEqual({ etag: '"1"' });
  });

  it('passes header bytes through as latin1, as they came', () => {
    expect(responseHeaders([Buffer.from('x-name'), Buffer.from([0xe9])])).toEqual({
      'x-name': 'é',
    });
  });
});

describe('hostOf on HTTP/2', () => {
  const h2 = (headers: Record<string, string>) =>
    ({ httpVersionMajor: 2, headers, rawHeaders: [] }) as unknown as IncomingMessage;

  it('takes :authority, or Host when a client sends no :authority', () => {
    expect(hostOf(h2({ ':authority': 'API.example.com:8443' }))).toBe('api.example.com');
    expect(hostOf(h2({ host: 'b.example.com' }))).toBe('b.example.com');
    expect(authorityOf(h2({ ':authority': 'a.example.com:8443' }))).toBe('a.example.com:8443');
  });

  it('refuses a request whose Host names another host than its :authority', () => {
    expect(hostOf(h2({ ':authority': 'a.example.com', host: 'evil.example.com' }))).toBeNull();
    expect(hostOf(h2({ ':authority': 'a.example.com:443', host: 'a.example.com' }))).toBe(
      'a.example.com',
    );
    expect(hostOf(h2({}))).toBeNull();
  });
});
