import { compressedHead, pickCoding, shouldCompress } from './compression';

const policy = { min_size: 1024, types: ['text/*', 'application/json'] };

describe('compression', () => {
  it('picks brotli over gzip, honours q=0, and takes * as gzip', () => {
    expect(pickCoding('gzip, deflate, br')).toBe('br');
    expect(pickCoding('gzip')).toBe('gzip');
    expect(pickCoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(pickCoding('br;q=0, gzip;q=0')).toBeNull();
    expect(pickCoding('*')).toBe('gzip');
    expect(pickCoding('identity')).toBeNull();
    expect(pickCoding(undefined)).toBeNull();
  });

  it('compresses bodies of the route’s types from min_size on, never an encoded one', () => {
    const json = { 'content-type': 'application/json; charset=utf-8', 'content-length': '5000' };
    expect(shouldCompress(policy, 200, json)).toBe(true);
    expect(shouldCompress(policy, 200, { 'content-type': 'text/html' })).toBe(true);
    expect(shouldCompress(policy, 200, { ...json, 'content-length': '1023' })).toBe(false);
    expect(shouldCompress(policy, 200, { ...json, 'content-encoding': 'gzip' })).toBe(false);
    expect(shouldCompress(policy, 200, { 'content-type': 'image/png' })).toBe(false);
    expect(shouldCompress(policy, 200, {})).toBe(false);
    expect(shouldCompress(policy, 304, json)).toBe(false);
    expect(shouldCompress(policy, 204, json)).toBe(false);
  });

  it('rewrites the head: coding, no length, a weak ETag, Vary appended once', () => {
    const headers: Record<string, string> = {
      'content-length': '5000',
      etag: '"abc"',
      vary: 'Origin',
    };
    compressedHead(headers, 'br');
    expect(headers).toEqual({
      'content-encoding': 'br',
      etag: 'W/"abc"',
      vary: 'Origin, Accept-Encoding',
    });
    const again: Record<string, string> = { vary: 'accept-encoding', etag: 'W/"x"' };
    compressedHead(again, 'gzip');
    expect(again).toEqual({ 'content-encoding': 'gzip', vary: 'accept-encoding', etag: 'W/"x"' });
  });
});
