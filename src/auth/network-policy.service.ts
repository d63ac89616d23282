import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/config.namespaces';
import { CidrList } from '../common/cidr';
import { AppError } from '../common/errors/app-error';
import { FixedWindowRateLimiter, RateDecision } from './rate-limiter';

/** TRUSTED_NETWORKS, REGISTRATION_ALLOW_FROM and the registration rate limit, compiled once. */
@Injectable()
export class NetworkPolicyService {
  private readonly trusted: CidrList;
  private readonly allowFrom: CidrList | null;
  private readonly registrations: FixedWindowRateLimiter;

  constructor(@Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>) {
    this.trusted = new CidrList(auth.trustedNetworks);
    this.allowFrom = auth.registrationAllowFrom ? new CidrList(auth.registrationAllowFrom) : null;
    this.registrations = new FixedWindowRateLimiter(auth.registrationRateLimit, 60_000);
  }

  isTrusted(address: string | undefined): boolean {
    return this.trusted.contains(address);
  }

  mayRegisterFrom(address: string | undefined): boolean {
    return this.allowFrom === null || this.allowFrom.contains(address);
  }

  takeRegistrationAttempt(address: string | undefined): RateDecision {
    return this.registrations.take(address ?? 'unknown', Date.now());
  }

  /**
   * What every registration passes before any key is looked at: REGISTRATION_ALLOW_FROM (403),
   * then the rate limit (429; every attempt counts, good key or not).
   */
  admitRegistration(address: string | undefined): void {
    if (!this.mayRegisterFrom(address)) {
      throw new AppError('SOURCE_NOT_ALLOWED', 'registration is not allowed from this address');
    }
    const decision = this.takeRegistrationAttempt(address);
    if (!decision.allowed) {
      throw new AppError(
        'RATE_LIMITED',
        'too many registration attempts; try again later',
        undefined,
        { 'retry-after': String(decision.retryAfterSec) },
      );
    }
  }
}
