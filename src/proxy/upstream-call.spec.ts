import { responseHeaders } from './upstream-call';

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
