import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { logUnexpected } from '../common/errors/all-exceptions.filter';
import { describeError } from '../common/errors/describe-error';

/**
 * Errors of `/v1` as Consul answers them: the status with a plain-text message, which Consul's
 * clients print as they get it (python-consul raises `BadRequest('400 <text>')`).
 */
@Catch()
export class ConsulErrorsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { body, headers, unexpected } = describeError(exception);
    if (unexpected) logUnexpected(reply, exception, ConsulErrorsFilter.name);
    if (headers) reply.headers(headers);
    void reply
      .code(body.statusCode)
      .header('x-consul-index', '1')
      .type('text/plain; charset=utf-8')
      .send(body.message);
  }
}
