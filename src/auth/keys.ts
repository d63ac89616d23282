import { hash, randomFillSync, timingSafeEqual } from 'node:crypto';

/** Per-instance tokens and generated keys carry this much randomness. */
const SECRET_BYTES = 32;

/**
 * Secrets are cut from a pool refilled 128 at a time: one call into OpenSSL per 128 tokens instead
 * of one per registration (what randomUUID does too). Each byte is used once.
 */
const pool = Buffer.alloc(SECRET_BYTES * 128);
let poolOffset = pool.length;

/** A new random secret: 32 bytes, base64url (43 characters). */
export function generateSecret(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const secret = pool.toString('base64url', poolOffset, poolOffset + SECRET_BYTES);
  poolOffset += SECRET_BYTES;
  return secret;
}

/**
 * Hash of a secret for storage. Secrets here are 256-bit random values (or operator keys), not
 * passwords, so a fast hash is enough: nothing to brute-force, and a check costs microseconds.
 */
export function hashSecret(secret: string): string {
  // The one-shot form: a Hash object per call cost more than the hashing of 43 characters.
  return hash('sha256', secret, 'hex');
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatchesHash(presented: string, storedHash: string): boolean {
  const presentedHash = Buffer.from(hashSecret(presented), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return expected.length === presentedHash.length && timingSafeEqual(presentedHash, expected);
}

/** Reads `Authorization: Bearer <token>`; null when absent or of another scheme. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer[ ]+([\x21-\x7e]{1,1024})[ ]*$/i.exec(header);
  return match ? match[1] : null;
}
