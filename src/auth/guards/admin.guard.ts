import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { AuthKeysService } from '../auth-keys.service';
import { callerOf } from './request-caller';

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly keys: AuthKeysService) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.keys.isAdminKey(callerOf(context).bearer)) return true;
    throw new AppError('UNAUTHORIZED', 'the admin key is required (Authorization: Bearer <key>)');
  }
}
