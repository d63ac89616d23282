/** Provided by the registry: checks x-service-id / x-service-token without auth knowing the registry. */
export const INSTANCE_CREDENTIALS_VERIFIER = 'INSTANCE_CREDENTIALS_VERIFIER';
export const INSTANCE_ACCESS = 'waypost:instance-access';
export const TRUSTED_NETWORKS_ALLOWED = 'waypost:trusted-networks-allowed';
export const KEYS_FILE = 'keys.json';

export interface InstanceCredentialsVerifier {
  /** True when the instance exists and the token is its own. */
  verify(instanceId: string, token: string): boolean;
}

/** any: any registered instance; self: the instance named in the path; both let the admin key in too. */
export type InstanceAccess = 'any' | 'self' | 'self-only';
