import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { AuthKeysService } from '../auth-keys.service';
import { NetworkPolicyService } from '../network-policy.service';
import { callerOf } from './request-caller';

/** The compatibility endpoints that register nothing: a trusted caller, the registration key or the admin key. */
@Injectable()
export class CompatCallerGuard implements CanActivate {
  constructor(
    private readonly keys: AuthKeysService,
    private readonly network: NetworkPolicyService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const caller = callerOf(context);
    if (this.network.isTrusted(caller.address)) return true;
    if (this.keys.isRegistrationKey(caller.bearer) || this.keys.isAdminKey(caller.bearer))
      return true;
    throw new AppError(
      'UNAUTHORIZED',
      'a valid registration key is required (Authorization: Bearer <key>)',
    );
  }
}
