import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Reflector } from '@nestjs/core';
import { AppError } from '../../common/errors/app-error';
import {
  INSTANCE_ACCESS,
  INSTANCE_CREDENTIALS_VERIFIER,
  InstanceAccess,
  InstanceCredentialsVerifier,
  VERIFIED_TOKEN_HASH,
} from '../auth.constants';
import { AuthKeysService } from '../auth-keys.service';
import { Caller, callerOf, callerOfRequest } from './request-caller';

function header(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : null;
}

/**
 * Instance credentials (`x-service-id` + `x-service-token`) or the admin key. With access `self`
 * the instance may act only on the `:id` in the path; `self-only` shuts the admin out too.
 */
@Injectable()
export class InstanceGuard implements CanActivate {
  constructor(
    private readonly keys: AuthKeysService,
    private readonly reflector: Reflector,
    @Inject(INSTANCE_CREDENTIALS_VERIFIER) private readonly verifier: InstanceCredentialsVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const access =
      this.reflector.get<InstanceAccess>(INSTANCE_ACCESS, context.getHandler()) ?? 'any';
    return this.admit(callerOf(context), access);
  }

  /** The same rule for a request outside Nest's pipeline (the discovery fast path): throws or true. */
  admits(request: FastifyRequest, access: InstanceAccess): boolean {
    return this.admit(callerOfRequest(request), access);
  }

  private admit(caller: Caller, access: InstanceAccess): boolean {
    if (access !== 'self-only' && this.keys.isAdminKey(caller.bearer)) return true;

    const id = header(caller.request.headers['x-service-id']);
    const token = header(caller.request.headers['x-service-token']);
    const tokenHash = id === null || token === null ? null : this.verifier.tokenHashOf(id, token);
    if (id === null || tokenHash === null) {
      throw new AppError(
        'UNAUTHORIZED',
        access === 'self-only'
          ? 'the instance credentials are required (x-service-id, x-service-token)'
          : 'instance credentials (x-service-id, x-service-token) or the admin key are required',
      );
    }
    if (access === 'any') return true;
    const target = (caller.request.params as Record<string, string> | undefined)?.id;
    if (target !== id) throw new AppError('FORBIDDEN', 'an instance may only act on itself');
    (caller.request as unknown as Record<symbol, string>)[VERIFIED_TOKEN_HASH] = tokenHash;
    return true;
  }
}
