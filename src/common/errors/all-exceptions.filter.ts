import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { describeError } from './describe-error';

/** The admin app's single conversion point from anything thrown to the contract's JSON error. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    sendError(reply, exception, this.logger);
  }
}

export function sendError(reply: FastifyReply, exception: unknown, logger: Logger): void {
  const { body, headers, unexpected } = describeError(exception);
  if (unexpected) logger.error(exception instanceof Error ? exception.stack : String(exception));
  if (headers) reply.headers(headers);
  void reply.code(body.statusCode).type('application/json; charset=utf-8').send(body);
}
