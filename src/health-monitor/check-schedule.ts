/**
 * When to check next. Each instance gets a fixed phase inside the interval, taken from a hash of
 * its id, and is checked at `phase + k × interval`: checks of thousands of instances spread evenly
 * over the interval instead of bunching up (after a restart, say), and each instance keeps a steady
 * rhythm. The first check after registration or restart runs at once, off-phase.
 */

/** FNV-1a of the id with murmur3's final mix (so similar ids land far apart), scaled to the interval. */
export function phaseOf(id: string, intervalMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return ((hash >>> 0) / 0x100000000) * intervalMs;
}

/** The first slot `phase + k × interval` strictly after `nowMs`: never later than one interval away. */
export function nextDue(nowMs: number, intervalMs: number, phaseMs: number): number {
  const k = Math.floor((nowMs - phaseMs) / intervalMs) + 1;
  return phaseMs + k * intervalMs;
}
