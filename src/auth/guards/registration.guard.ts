import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../../common/errors/app-error';
import { TRUSTED_NETWORKS_ALLOWED } from '../auth.constants';
import { AuthKeysService } from '../auth-keys.service';
import { NetworkPolicyService } from '../network-policy.service';
import { callerOf } from './request-caller';

/**
 * Every registration call: REGISTRATION_ALLOW_FROM first (403 before any key is looked at), then the
 * rate limit (every attempt counts, good key or not), then the registration key — or, on the
 * compatibility endpoints, a caller inside TRUSTED_NETWORKS.
 */
@Injectable()
export class RegistrationGuard implements CanActivate {
  constructor(
    private readonly keys: AuthKeysService,
    private readonly network: NetworkPolicyService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const caller = callerOf(context);
    this.network.admitRegistration(caller.address);
    if (this.keys.isRegistrationKey(caller.bearer)) return true;
    const trustedAllowed =
      this.reflector.get<boolean>(TRUSTED_NETWORKS_ALLOWED, context.getHandler()) ?? false;
    if (trustedAllowed && this.network.isTrusted(caller.address)) return true;
    throw new AppError(
      'UNAUTHORIZED',
      'a valid registration key is required (Authorization: Bearer <key>)',
    );
  }
}
