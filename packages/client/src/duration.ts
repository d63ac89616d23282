/** `250ms`, `5s`, `2m`, `1h` or milliseconds as a number: the registry's own duration format. */
export function toMs(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new TypeError(`not a duration: ${value}`);
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms'] as number;
  return Math.round(Number(match[1]) * factor);
}
