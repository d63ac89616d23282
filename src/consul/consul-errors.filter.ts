import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { describeError } from '../common/errors/describe-error';

/**
 * Errors of `/v1` as Consul answers them: the status with a plain-text message, which Consul's
 * clients print as they get it (python-consul raises `BadRequest('400 <text>')`).
 */
@Catch()
export class ConsulErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ConsulErrorsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { body, headers, unexpected } = describeError(exception);
    if (unexpected)
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    if (headers) reply.headers(headers);
    void reply
      .code(body.statusCode)
      .header('x-consul-index', '1')
      .type('text/plain; charset=utf-8')
      .send(body.message);
  }
}
