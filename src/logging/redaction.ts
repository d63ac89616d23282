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
