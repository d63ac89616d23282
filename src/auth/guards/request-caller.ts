import type { ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../keys';

/** What a guard needs to know of a caller: the socket's address (never a forwarded header) and its bearer. */
export interface Caller {
  address: string | undefined;
  bearer: string | null;
  request: FastifyRequest;
}

export function callerOf(context: ExecutionContext): Caller {
  return callerOfRequest(context.switchToHttp().getRequest<FastifyRequest>());
}

export function callerOfRequest(request: FastifyRequest): Caller {
  return {
    address: request.socket.remoteAddress,
    bearer: bearerToken(request.headers.authorization),
    request,
  };
}
