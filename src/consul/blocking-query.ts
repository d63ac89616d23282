import { parseGoDuration } from './go-duration';

export const DEFAULT_WAIT_MS = 5 * 60_000;
export const MAX_WAIT_MS = 10 * 60_000;

/**
 * How long a blocking query waits: `wait` (default 5m, at most 10m) plus up to wait/16 of jitter,
 * as Consul adds, so that queries parked together do not all wake together. Pure.
 */
export function waitOf(raw: unknown, random = Math.random): number {
  const asked = raw === undefined || raw === '' ? DEFAULT_WAIT_MS : parseGoDuration(raw);
  const wait = Math.min(asked ?? DEFAULT_WAIT_MS, MAX_WAIT_MS);
  return wait + Math.floor(random() * (wait / 16));
}

/** `?index=N`: a positive integer asks to block; anything else answers at once. */
export function indexOf(raw: unknown): number | null {
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return null;
  const index = Number(raw);
  return index >= 1 ? index : null;
}
