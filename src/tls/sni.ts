/**
 * How certificate files are named for the hosts they serve, and which one a TLS client's server
 * name gets. Pure: no files, no Nest.
 */

const WILDCARD_PREFIX = '_wildcard.';
const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*$/;

/** The file name `default` holds the pair for clients whose name matches no other. */
export const DEFAULT_PAIR_NAME = 'default';

/**
 * The host a `<base>.crt` serves: `api.example.com` → itself, `_wildcard.example.com` →
 * `*.example.com`, `default` → the default pair (''); null for a name that is neither.
 */
export function hostOfFileName(base: string): string | null {
  const name = base.toLowerCase();
  if (name === DEFAULT_PAIR_NAME) return '';
  if (name.startsWith(WILDCARD_PREFIX)) {
    const parent = name.slice(WILDCARD_PREFIX.length);
    return parent.includes('.') && HOST_NAME.test(parent) ? `*.${parent}` : null;
  }
  return HOST_NAME.test(name) && name.length <= 253 ? name : null;
}

/**
 * The names to try for a server name, best first: the name itself, then the wildcard one label
 * up (`a.example.com` → `*.example.com`; a wildcard never spans two labels, as RFC 6125 says).
 */
export function candidatesFor(serverName: string): [string, string | null] {
  const name = serverName.toLowerCase().replace(/\.$/, '');
  const dot = name.indexOf('.');
  const parent = dot > 0 ? name.slice(dot + 1) : '';
  return [name, parent.includes('.') ? `*.${parent}` : null];
}
