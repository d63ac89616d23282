/**
 * Serialized discovery answers per service type and filter. Discovery is read far more often than
 * instances change, and building plus serializing the answer was most of its cost. A change that
 * matters to callers (status, address, registration, removal) drops a type's answers at once; a
 * health check's bookkeeping (last check time, response time, counters) only lets them be rebuilt
 * once they are older than `bookkeepingLagMs`, so a thousand checks a second do not rebuild every
 * answer a thousand times. Bounded: a few filter variants per type.
 */
export class DiscoveryCache {
  private readonly byType = new Map<
    string,
    { variants: Map<string, string>; builtAt: number; stale: boolean }
  >();

  constructor(
    private readonly bookkeepingLagMs = 1_000,
    private readonly maxVariantsPerType = 16,
  ) {}

  get(serviceType: string, variant: string, build: () => string, now = Date.now()): string {
    let entry = this.byType.get(serviceType);
    if (entry?.stale && now - entry.builtAt >= this.bookkeepingLagMs) entry = undefined;
    const cached = entry?.variants.get(variant);
    if (cached !== undefined) return cached;
    const answer = build();
    if (!entry) {
      entry = { variants: new Map(), builtAt: now, stale: false };
      this.byType.set(serviceType, entry);
    }
    if (entry.variants.size >= this.maxVariantsPerType) entry.variants.clear();
    entry.variants.set(variant, answer);
    return answer;
  }

  /** Something callers rely on changed: rebuild on the next read. */
  invalidate(serviceType: string): void {
    this.byType.delete(serviceType);
  }

  /** Only check bookkeeping changed: rebuild once the answers are older than the allowed lag. */
  touch(serviceType: string): void {
    const entry = this.byType.get(serviceType);
    if (entry) entry.stale = true;
  }
}
