import type { IncomingMessage, ServerResponse } from 'node:http';
import { toErrorBody } from '../common/errors/error-body';
import { gatewayPath, hostOf, PathRejection } from './request-target';

function refuse(res: ServerResponse, message: string): void {
  const body = JSON.stringify(toErrorBody('VALIDATION_FAILED', message));
  res.writeHead(400, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-gateway': 'waypost',
  });
  res.end(body);
}

/**
 * GATEWAY_HTTP_REDIRECT_PORT's one answer: 308 to the same host, path and query on the TLS port
 * (308 keeps the method and body, unlike 301). The port is left out when it is 443.
 */
export function httpsRedirect(
  httpsPort: () => number,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.resume();
    const host = hostOf(req);
    if (host === null) return refuse(res, 'missing or malformed Host header');
    const target = req.url ?? '';
    if (gatewayPath(target) instanceof PathRejection)
      return refuse(res, 'request target must be a plain path');
    const port = httpsPort();
    const location = `https://${host}${port === 443 ? '' : `:${port}`}${target}`;
    res.writeHead(308, { location, 'content-length': 0, 'x-gateway': 'waypost' });
    res.end();
  };
}
