/**
 * The one table of error codes: each code's HTTP status and its `error` phrase. Phrases the
 * compatibility clients match on ("route already exists") come from the contract word for word.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, error: 'bad request' },
  INVALID_JSON: { status: 400, error: 'bad request' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, error: 'unsupported media type' },
  PAYLOAD_TOO_LARGE: { status: 413, error: 'payload too large' },
  UNAUTHORIZED: { status: 401, error: 'unauthorized' },
  FORBIDDEN: { status: 403, error: 'forbidden' },
  SOURCE_NOT_ALLOWED: { status: 403, error: 'forbidden' },
  PERMISSION_NOT_ALLOWED: { status: 403, error: 'forbidden' },
  INSTANCE_NOT_FOUND: { status: 404, error: 'not found' },
  ROUTE_NOT_FOUND: { status: 404, error: 'route not found' },
  NOT_FOUND: { status: 404, error: 'not found' },
  CHECK_NOT_FOUND: { status: 404, error: 'not found' },
  ROUTE_EXISTS: { status: 409, error: 'route already exists' },
  ROUTE_SHADOWS_CONFIG: { status: 409, error: 'route already exists' },
  CONFLICT: { status: 409, error: 'conflict' },
  INSTANCE_EXISTS: { status: 409, error: 'conflict' },
  RATE_LIMITED: { status: 429, error: 'too many requests' },
  HEADERS_TOO_LARGE: { status: 431, error: 'request header fields too large' },
  INTERNAL: { status: 500, error: 'internal server error' },
  BAD_GATEWAY: { status: 502, error: 'bad gateway' },
  SERVICE_UNAVAILABLE: { status: 503, error: 'service unavailable' },
  STORE_UNAVAILABLE: { status: 503, error: 'store unavailable' },
  GATEWAY_TIMEOUT: { status: 504, error: 'gateway timeout' },
} as const satisfies Record<string, { status: number; error: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
