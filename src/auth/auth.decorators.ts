import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  INSTANCE_ACCESS,
  InstanceAccess,
  TRUSTED_NETWORKS_ALLOWED,
  VERIFIED_TOKEN_HASH,
} from './auth.constants';
import { AdminGuard } from './guards/admin.guard';
import { CompatCallerGuard } from './guards/compat-caller.guard';
import { InstanceGuard } from './guards/instance.guard';
import { MetricsGuard } from './guards/metrics.guard';
import { RegistrationGuard } from './guards/registration.guard';

/** Swagger security scheme names, declared once in the app factory. */
export const SECURITY = {
  registrationKey: 'registration-key',
  adminKey: 'admin-key',
  serviceId: 'service-id',
  serviceToken: 'service-token',
} as const;

/** A registration call: REGISTRATION_ALLOW_FROM, the rate limit, then the key (or, for compat, a trusted network). */
export function RegistrationAccess(options: { trustedNetworks: boolean }): MethodDecorator {
  return applyDecorators(
    SetMetadata(TRUSTED_NETWORKS_ALLOWED, options.trustedNetworks),
    UseGuards(RegistrationGuard),
    ApiBearerAuth(SECURITY.registrationKey),
    ApiUnauthorizedResponse({ description: 'Missing or wrong registration key' }),
    ApiForbiddenResponse({ description: 'Source outside REGISTRATION_ALLOW_FROM' }),
    ApiTooManyRequestsResponse({
      description: 'REGISTRATION_RATE_LIMIT exceeded; see Retry-After',
    }),
  );
}

/** Compatibility calls that register nothing: trusted network, registration key or admin key. */
export function CompatAccess(): MethodDecorator {
  return applyDecorators(
    UseGuards(CompatCallerGuard),
    ApiBearerAuth(SECURITY.registrationKey),
    ApiUnauthorizedResponse({ description: 'Not from TRUSTED_NETWORKS and no valid key' }),
  );
}

/** Instance credentials or (except `self-only`) the admin key. */
export function InstanceAccessRequired(access: InstanceAccess): MethodDecorator {
  const decorators = [
    SetMetadata(INSTANCE_ACCESS, access),
    UseGuards(InstanceGuard),
    ApiSecurity({ [SECURITY.serviceId]: [], [SECURITY.serviceToken]: [] }),
    ApiUnauthorizedResponse({ description: 'Missing or wrong credentials' }),
  ];
  if (access !== 'self-only') decorators.push(ApiBearerAuth(SECURITY.adminKey));
  if (access !== 'any') decorators.push(ApiForbiddenResponse({ description: 'Another instance' }));
  return applyDecorators(...decorators);
}

/**
 * The token hash the instance guard matched on a `self` or `self-only` route (VERIFIED_TOKEN_HASH),
 * or undefined when the admin key let the request in.
 */
export const VerifiedTokenHash = createParamDecorator(
  (_: unknown, context: ExecutionContext): string | undefined =>
    context.switchToHttp().getRequest<Record<symbol, string | undefined>>()[VERIFIED_TOKEN_HASH],
);

export function AdminAccess(): MethodDecorator {
  return applyDecorators(
    UseGuards(AdminGuard),
    ApiBearerAuth(SECURITY.adminKey),
    ApiUnauthorizedResponse({ description: 'Missing or wrong admin key' }),
  );
}

/** `/metrics`: the admin key or METRICS_TOKEN. */
export function MetricsAccess(): MethodDecorator {
  return applyDecorators(
    UseGuards(MetricsGuard),
    ApiBearerAuth(SECURITY.adminKey),
    ApiUnauthorizedResponse({ description: 'Missing or wrong admin key or METRICS_TOKEN' }),
  );
}
