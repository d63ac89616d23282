import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { describeError } from './describe-error';

/** The admin app's single conversion point from anything thrown to the contract's JSON error. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), exception);
  }
}

/**
 * An error nobody expected, on the request's own logger: Fastify's child logger carries the
 * request's `reqId`, with no async context to keep (which would cost every gateway request).
 */
export function logUnexpected(reply: FastifyReply, exception: unknown, context: string): void {
  const message = exception instanceof Error ? exception.message : String(exception);
  const stack = exception instanceof Error ? exception.stack : undefined;
  reply.request.log.error({ context, stack }, message);
}

export function sendError(reply: FastifyReply, exception: unknown): void {
  const { body, headers, unexpected } = describeError(exception);
  if (unexpected) logUnexpected(reply, exception, AllExceptionsFilter.name);
  if (headers) reply.headers(headers);
  void reply.code(body.statusCode).type('application/json; charset=utf-8').send(body);
}
