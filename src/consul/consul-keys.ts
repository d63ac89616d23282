/**
 * Consul matches JSON field names case-insensitively, and its clients send `Name`, `name` or
 * `deregister_critical_service_after` alike: every key is folded to lower case without `_`
 * (`Meta` values keep theirs). Pure.
 */
export function foldKey(key: string): string {
  return key.replace(/_/g, '').toLowerCase();
}

/** The object with its keys folded, one level deep; later duplicates win. */
export function foldKeys(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const folded: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) folded[foldKey(key)] = inner;
  return folded;
}
