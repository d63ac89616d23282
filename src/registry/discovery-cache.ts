/**
 * Serialized discovery answers per service type and filter. Discovery is read far more often than
 * instances change, and building plus serializing the answer was most of its cost; an entry lives
 * until an instance of its type changes. Bounded: a few filter variants per type.
 */
export class DiscoveryCache {
  private readonly byType = new Map<string, Map<string, string>>();

  constructor(private readonly maxVariantsPerType = 16) {}

  get(serviceType: string, variant: string, build: () => string): string {
    let variants = this.byType.get(serviceType);
    const cached = variants?.get(variant);
    if (cached !== undefined) return cached;
    const answer = build();
    if (!variants) {
      variants = new Map();
      this.byType.set(serviceType, variants);
    }
    if (variants.size >= this.maxVariantsPerType) variants.clear();
    variants.set(variant, answer);
    return answer;
  }

  invalidate(serviceType: string): void {
    this.byType.delete(serviceType);
  }
}
