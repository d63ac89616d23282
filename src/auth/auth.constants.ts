/** Provided by the registry: checks x-service-id / x-service-token without auth knowing the registry. */
export const INSTANCE_CREDENTIALS_VERIFIER = 'INSTANCE_CREDENTIALS_VERIFIER';
export const INSTANCE_ACCESS = 'waypost:instance-access';
export const TRUSTED_NETWORKS_ALLOWED = 'waypost:trusted-networks-allowed';
export const KEYS_FILE = 'keys.json';

export interface InstanceCredentialsVerifier {
  /** The hash of the instance's token when the instance exists and the token is its own; else null. */
  tokenHashOf(instanceId: string, token: string): string | null;
}

/**
 * Where the instance guard leaves the token hash a caller's credentials matched. A write made with
 * them is refused if, when it commits, the instance holds another token (it registered again on
 * another node, which this node had not seen yet when the guard looked).
 */
export const VERIFIED_TOKEN_HASH = Symbol('waypost:verified-token-hash');

/** any: any registered instance; self: the instance named in the path; both let the admin key in too. */
export type InstanceAccess = 'any' | 'self' | 'self-only';
