import { hash32 } from '../common/hash';

/**
 * When to check next. Each instance gets a fixed phase inside the interval, taken from a hash of
 * its id, and is checked at `phase + k × interval`: checks of thousands of instances spread evenly
 * over the interval instead of bunching up (after a restart, say), and each instance keeps a steady
 * rhythm. The first check after registration or restart runs at once, off-phase.
 */

/** A stable phase for an id inside the interval. */
export function phaseOf(id: string, intervalMs: number): number {
  return (hash32(id) / 0x100000000) * intervalMs;
}

/** The first slot `phase + k × interval` strictly after `nowMs`: never later than one interval away. */
export function nextDue(nowMs: number, intervalMs: number, phaseMs: number): number {
  const k = Math.floor((nowMs - phaseMs) / intervalMs) + 1;
  return phaseMs + k * intervalMs;
}
