/**
 * The rules of the gateway's edge options that both their validation and the gateway apply: which
 * headers a rule may never touch, the variables a template may hold, byte sizes, safe patterns.
 * Pure: no Nest, no I/O.
 */

/** Hop-by-hop headers (RFC 9110 §7.6.1): they belong to one connection, never to a proxied message. */
export const HOP_BY_HOP_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
] as const;

/**
 * Headers a `request_headers` / `response_headers` rule can never set, add or remove: the hop-by-hop
 * ones, the framing the gateway writes itself, and X-Forwarded-For, whose chain the gateway appends
 * to and nobody may overwrite.
 */
const PROTECTED_HEADERS = new Set<string>([
  ...HOP_BY_HOP_HEADERS,
  'host',
  'content-length',
  'x-forwarded-for',
]);

export function isProtectedHeader(name: string): boolean {
  return PROTECTED_HEADERS.has(name.toLowerCase());
}

export const HEADER_VARIABLES = ['client_ip', 'request_id', 'route', 'host'] as const;
export type HeaderVariable = (typeof HEADER_VARIABLES)[number];
export const REDIRECT_VARIABLES = ['path', 'query', 'host'] as const;
export type RedirectVariable = (typeof REDIRECT_VARIABLES)[number];

/** A template split into literal text and variables: `a-${host}` → ['a-', {name: 'host'}]. */
export type TemplatePart<V extends string> = string | { name: V };

const VARIABLE = /\$\{([^}]*)\}/g;

/** Splits a template; throws naming the first variable that is not one of `known`. */
export function parseTemplate<V extends string>(
  template: string,
  known: readonly V[],
): TemplatePart<V>[] {
  const parts: TemplatePart<V>[] = [];
  let last = 0;
  for (const match of template.matchAll(VARIABLE)) {
    const name = match[1] as V;
    if (!known.includes(name))
      throw new Error(
        `unknown variable \${${match[1].slice(0, 32)}}: use ${known.map((k) => `\${${k}}`).join(', ')}`,
      );
    if (match.index > last) parts.push(template.slice(last, match.index));
    parts.push({ name });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

export function renderTemplate<V extends string>(
  parts: readonly TemplatePart<V>[],
  values: Readonly<Record<V, string>>,
): string {
  let out = '';
  for (const part of parts) out += typeof part === 'string' ? part : values[part.name];
  return out;
}

const BYTE_SIZE = /^(\d{1,13})\s*(b|kb|mb|gb)?$/i;
const UNIT: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `1048576`, `"512kb"`, `"10mb"`, `"1gb"` (powers of 1024) → bytes; null when it is none. */
export function parseByteSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = BYTE_SIZE.exec(value.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * UNIT[(match[2] ?? 'b').toLowerCase()];
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/**
 * Why a `rewrite` pattern is refused, or null when it is fine. It runs on every request of its
 * route in the gateway's one thread, so a pattern that can backtrack for ever — a quantified group
 * that holds a quantifier, such as `(a+)+` — is refused rather than trusted.
 */
export function unsafePattern(pattern: string): string | null {
  try {
    new RegExp(pattern);
  } catch (error) {
    return `is not a regular expression (${(error as Error).message.slice(0, 80)})`;
  }
  if (/\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)\s*[*+{?]/.test(pattern))
    return 'must not repeat a group that itself repeats, such as (a+)+: it could backtrack without end';
  if (/\\[1-9]/.test(pattern)) return 'must not use backreferences';
  // A path never holds one: the gateway refuses NUL, and the others cannot be sent in a target.
  if (/[\u0000-\u001f\u007f]/.test(pattern)) return 'must not hold control characters';
  return null;
}
