import { hashSecret } from '../auth/keys';
import { ApiKeySpec } from '../config/settings';

export type PermissionDecision =
  { allowed: true; keyName: string | null } | { allowed: false; status: 401 | 403 };

/**
 * Client API keys of the config file, held as SHA-256 hashes only. A route with a `permission` needs
 * an `X-API-Key` whose permissions include it (or `*`).
 */
export class ApiKeys {
  private readonly byHash = new Map<string, { name: string; permissions: Set<string> }>();

  constructor(keys: readonly ApiKeySpec[]) {
    for (const key of keys)
      this.byHash.set(hashSecret(key.key), {
        name: key.name,
        permissions: new Set(key.permissions),
      });
  }

  check(permission: string | null, presented: string | string[] | undefined): PermissionDecision {
    if (permission === null) return { allowed: true, keyName: null };
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512)
      return { allowed: false, status: 401 };
    const key = this.byHash.get(hashSecret(presented));
    if (!key) return { allowed: false, status: 401 };
    if (!key.permissions.has(permission) && !key.permissions.has('*'))
      return { allowed: false, status: 403 };
    return { allowed: true, keyName: key.name };
  }
}
