import { anInstanceRecord } from '../../test/factories';
import { shareCommonParts } from './shared-parts';

describe(shareCommonParts.name, () => {
  const bare = () =>
    anInstanceRecord({
      tags: [],
      metadata: {},
      checks: [],
      healthCheck: { type: 'none', path: '/health', interval: null, timeout: null, ttl: null },
    });

  it('gives records with no tags, metadata or checks and a default check one shared copy of each', () => {
    const [a, b] = [shareCommonParts(bare()), shareCommonParts(bare())];
    expect(a.tags).toBe(b.tags);
    expect(a.metadata).toBe(b.metadata);
    expect(a.checks).toBe(b.checks);
    expect(a.healthCheck).toBe(b.healthCheck);
    expect(a.healthCheck).toEqual({
      type: 'none',
      path: '/health',
      interval: null,
      timeout: null,
      ttl: null,
    });
  });

  it('shares a default ttl check only with its default ttl', () => {
    const ttl = (ttlMs: number) =>
      shareCommonParts(
        anInstanceRecord({
          healthCheck: { type: 'ttl', path: '/health', interval: null, timeout: null, ttl: ttlMs },
        }),
      ).healthCheck;
    expect(ttl(30_000)).toBe(ttl(30_000));
    expect(ttl(5_000)).not.toBe(ttl(5_000));
  });

  it("keeps a record's own parts when they say anything", () => {
    const own = anInstanceRecord({
      tags: ['blue'],
      metadata: { zone: 'a' },
      healthCheck: { type: 'http', path: '/ready', interval: null, timeout: null, ttl: null },
    });
    const { tags, metadata, checks, healthCheck } = own;
    expect(checks.length).toBeGreaterThan(0);
    shareCommonParts(own);
    expect(own.tags).toBe(tags);
    expect(own.metadata).toBe(metadata);
    expect(own.checks).toBe(checks);
    expect(own.healthCheck).toBe(healthCheck);
  });

  it('makes a write to a shared part throw rather than change every record', () => {
    const record = shareCommonParts(bare());
    expect(() => (record.tags as string[]).push('x')).toThrow(TypeError);
    expect(() => {
      (record.metadata as Record<string, string>).x = 'y';
    }).toThrow(TypeError);
    expect(() => {
      record.healthCheck.path = '/x';
    }).toThrow(TypeError);
    expect(shareCommonParts(bare()).tags).toEqual([]);
  });
});
