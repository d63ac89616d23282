/** Injection token of who checks which instance: this node alone, or the fleet's claims. */
export const CHECK_OWNERSHIP = 'CHECK_OWNERSHIP';

/** Instances this node started or stopped checking. */
export interface OwnershipMove {
  gained: readonly string[];
  lost: readonly string[];
}

/**
 * Which instances this node health-checks. One node checks them all; on a fleet each instance has
 * one checker at a time (fleet/check-claims.ts), and failed live traffic seen by another node is
 * handed to it.
 */
export interface CheckOwnership {
  owns(instanceId: string): boolean;
  onMove(listener: (move: OwnershipMove) => void): void;
  /** Failed live traffic to an instance another node checks: send it there. */
  reportTraffic(instanceId: string, error: string): void;
  /** Failed live traffic another node saw, for an instance this node checks. */
  onTrafficReport(listener: (instanceId: string, error: string) => void): void;
}

/** One node: every instance is checked here, and traffic is never seen elsewhere. */
export class SoloOwnership implements CheckOwnership {
  owns(): boolean {
    return true;
  }

  onMove(): void {}

  reportTraffic(): void {}

  onTrafficReport(): void {}
}
