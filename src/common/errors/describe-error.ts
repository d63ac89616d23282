import { HttpException } from '@nestjs/common';
import { withoutQueries } from '../../logging/redaction';
import { AppError } from './app-error';
import { codeForStatus, ErrorBody, toErrorBody } from './error-body';
import { ErrorCode } from './error-codes';

export interface DescribedError {
  body: ErrorBody;
  headers?: Record<string, string>;
  /** True for a failure of ours (a 5xx not thrown on purpose): it is logged, never shown. */
  unexpected: boolean;
}

/** Fastify's own codes for input it refused before any handler ran. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

/** Nest's and Fastify's own messages may quote the request URL (`Cannot GET /x?…`): never its query. */
function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return withoutQueries(response);
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return withoutQueries(typeof message === 'string' ? message : exception.message);
}

function omitStandard(response: object): Record<string, unknown> {
  const { message: _m, statusCode: _s, error: _e, ...rest } = response as Record<string, unknown>;
  return rest;
}

/** Turns anything thrown on the admin port into the contract's error shape. */
export function describeError(exception: unknown): DescribedError {
  if (exception instanceof AppError) {
    return {
      body: toErrorBody(exception.code, exception.message, exception.details),
      headers: exception.headers,
      unexpected: false,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    // Terminus puts its whole health report in the exception: keep it beside the contract fields.
    const extra = typeof response === 'object' && response !== null ? omitStandard(response) : {};
    const body = {
      ...extra,
      ...toErrorBody(codeForStatus(status), httpExceptionMessage(exception)),
    };
    body.statusCode = status;
    return { body, unexpected: status >= 500 && status !== 503 };
  }
  const fastifyError = exception as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof fastifyError?.code === 'string' && fastifyError.code in FASTIFY_CODES) {
    const code = FASTIFY_CODES[fastifyError.code];
    const message =
      code === 'INVALID_JSON' ? 'body is not valid JSON' : String(fastifyError.message ?? '');
    return { body: toErrorBody(code, message), unexpected: false };
  }
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    const body = toErrorBody(
      codeForStatus(status),
      withoutQueries(String(fastifyError.message ?? 'bad request')),
    );
    body.statusCode = status;
    return { body, unexpected: false };
  }
  return { body: toErrorBody('INTERNAL', 'internal error'), unexpected: true };
}
