import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthKeysService } from '../auth/auth-keys.service';
import { bearerToken } from '../auth/keys';
import { NetworkPolicyService } from '../auth/network-policy.service';
import { AppError } from '../common/errors/app-error';

/** Consul's three places for a token: `?token=`, `X-Consul-Token`, `Authorization: Bearer`. */
export function consulToken(request: FastifyRequest): string | null {
  const header = request.headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const bearer = bearerToken(request.headers.authorization);
  if (bearer) return bearer;
  const query = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof query === 'string' && query !== '' ? query : null;
}

/**
 * Every `/v1` call: the registration key or the admin key, or no token at all from
 * TRUSTED_NETWORKS. A wrong token is 403, as Consul's "Permission denied".
 */
@Injectable()
export class ConsulAuthGuard implements CanActivate {
  constructor(
    private readonly keys: AuthKeysService,
    private readonly network: NetworkPolicyService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = consulToken(request);
    if (token === null) {
      if (this.network.isTrusted(request.socket.remoteAddress)) return true;
      throw new AppError('FORBIDDEN', 'Permission denied: token required');
    }
    if (this.keys.isRegistrationKey(token) || this.keys.isAdminKey(token)) return true;
    throw new AppError('FORBIDDEN', 'Permission denied: ACL not found');
  }
}
