import type { IncomingMessage } from 'node:http';

/** A header block larger than this is refused with 431 on every port (Node's parser enforces it). */
export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * More header fields than this is refused with 431 (Envoy's default). Counted by us, not capped in
 * Node's parser: past its `maxHeadersCount` Node drops the rest silently, Host among them.
 */
export const MAX_HEADER_COUNT = 100;

/** True when the request has more than MAX_HEADER_COUNT header fields (HTTP/2 pseudo-headers aside). */
export function tooManyHeaders(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  if (raw.length <= 2 * MAX_HEADER_COUNT) return false;
  if (req.httpVersionMajor !== 2) return true;
  let fields = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].charCodeAt(0) !== 58 /* ':' */) fields++;
  return fields > MAX_HEADER_COUNT;
}
