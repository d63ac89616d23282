const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a Go duration as Consul's clients write them (`10s`, `1m30s`, `120000ms`, `1.5h`), or a
 * plain number of milliseconds. Answers whole milliseconds, or null when the text is not one.
 */
export function parseGoDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string' || value.length === 0 || value.length > 32) return null;
  if (/^\d+$/.test(value)) return Number(value);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < value.length) {
    const match = PART.exec(value);
    if (!match) return null;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  const ms = Math.round(total);
  return Number.isSafeInteger(ms) ? ms : null;
}
