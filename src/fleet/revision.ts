/** The revision etcd's answers carry, as a number (etcd's int64 fits: it grows by one per write). */
export function revisionOf(
  header: { revision?: string | number | null } | null | undefined,
): number {
  return Number(header?.revision ?? 0);
}
