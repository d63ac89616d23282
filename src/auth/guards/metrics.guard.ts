import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { AuthKeysService } from '../auth-keys.service';
import { callerOf } from './request-caller';

/** `/metrics`: the admin key, or METRICS_TOKEN so that a scraper's config holds no admin key. */
@Injectable()
export class MetricsGuard implements CanActivate {
  constructor(private readonly keys: AuthKeysService) {}

  canActivate(context: ExecutionContext): boolean {
    const { bearer } = callerOf(context);
    if (this.keys.isAdminKey(bearer) || this.keys.isMetricsToken(bearer)) return true;
    throw new AppError(
      'UNAUTHORIZED',
      'the admin key or METRICS_TOKEN is required (Authorization: Bearer <key>)',
    );
  }
}
