import { bearerToken, generateSecret, hashSecret, secretMatchesHash } from './keys';

describe('keys', () => {
  it('generates 32-byte random secrets, different each time', () => {
    const a = generateSecret();
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
  });

  it('never hands out the same secret twice, across refills of its pool', () => {
    const secrets = Array.from({ length: 1_000 }, generateSecret);
    expect(new Set(secrets).size).toBe(1_000);
    expect(secrets.every((secret) => /^[A-Za-z0-9_-]{43}$/.test(secret))).toBe(true);
  });

  it('stores a hash that is not the secret and matches only the secret', () => {
    const secret = generateSecret();
    const hash = hashSecret(secret);
    expect(hash).not.toContain(secret);
    expect(secretMatchesHash(secret, hash)).toBe(true);
    expect(secretMatchesHash(secret + 'x', hash)).toBe(false);
    expect(secretMatchesHash('', hash)).toBe(false);
  });

  it('refuses a malformed stored hash instead of throwing', () => {
    expect(secretMatchesHash('abc', 'not-hex')).toBe(false);
  });

  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Basic abc', null],
    ['Bearer ', null],
    ['Bearer a b', null],
    [undefined, null],
    [['Bearer abc'], null],
  ])('reads the bearer of %p as %p', (header, expected) => {
    expect(bearerToken(header as string | undefined)).toBe(expected);
  });
});
