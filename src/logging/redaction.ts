/**
 * What is never written to a log line, said once for every logger of the process. Waypost's own
 * lines never carry headers or bodies and name paths without their query (which may hold
 * `?token=`); these paths are the second line of defence, for objects a library hands to pino.
 */
const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-service-token',
  'x-consul-token',
];

const SECRET_FIELDS = [
  'token',
  'key',
  'password',
  'secret',
  'adminKey',
  'registrationKey',
  'metricsToken',
  'apiKey',
];

export const REDACTED = '[redacted]';

export const REDACT_PATHS: string[] = [
  ...SECRET_HEADERS.flatMap((h) => [
    `req.headers["${h}"]`,
    `res.headers["${h}"]`,
    `headers["${h}"]`,
  ]),
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]),
];

/** A URL as a log line may show it: the path, never the query string or the fragment. */
export function pathOnly(url: string | undefined): string {
  if (!url) return '';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * A message with every URL in it cut before its query: `Cannot GET /x?token=…` → `Cannot GET /x`.
 * Some clients send their token in the query (`?token=` is Consul's), so no answer or log line
 * repeats a query's values.
 */
export function withoutQueries(text: string): string {
  return text.replace(/(\/[^\s?#]*)[?#]\S*/g, '$1');
}
