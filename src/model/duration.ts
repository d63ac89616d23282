const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/**
 * Parses a duration as the contract writes them: `250ms`, `5s`, `2m`, `1h`, or a whole number of
 * milliseconds (as a number or a numeric string). Returns milliseconds, or `null` when the value is
 * not a duration.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : null;
  }
  if (typeof value !== 'string' || value.length > 32) return null;
  const match = DURATION.exec(value.trim());
  if (!match) return null;
  const [, amount, unit] = match;
  if (!unit && amount.includes('.')) return null;
  const ms = Math.round(Number(amount) * UNIT_MS[unit ?? 'ms']);
  return Number.isSafeInteger(ms) ? ms : null;
}
