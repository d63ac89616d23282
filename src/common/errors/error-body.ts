import { ERROR_CODES, ErrorCode } from './error-codes';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
  details?: string[];
}

/** The one JSON shape of every error, on both ports. */
export function toErrorBody(code: ErrorCode, message: string, details?: string[]): ErrorBody {
  const entry = ERROR_CODES[code];
  const body: ErrorBody = { statusCode: entry.status, error: entry.error, message, code };
  if (details && details.length > 0) body.details = details;
  return body;
}

/** Maps a bare HTTP status (from a framework error) to the closest code of the table. */
export function codeForStatus(status: number): ErrorCode {
  const byStatus: Record<number, ErrorCode> = {
    400: 'VALIDATION_FAILED',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    409: 'CONFLICT',
    413: 'PAYLOAD_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    429: 'RATE_LIMITED',
    502: 'BAD_GATEWAY',
    503: 'SERVICE_UNAVAILABLE',
    504: 'GATEWAY_TIMEOUT',
  };
  return byStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED');
}
