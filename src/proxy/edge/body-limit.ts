import type { IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';

/** Raised into the upstream request when a streamed body grows past the route's max_body_size. */
export class BodyTooLargeError extends Error {
  readonly code = 'WAYPOST_BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`the request body is larger than this route's max_body_size of ${limit} bytes`);
  }
}

/** True when the request says, by Content-Length, that its body is larger than `limit`. */
export function declaresMoreThan(req: IncomingMessage, limit: number): boolean {
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > limit;
}

/**
 * The request body as undici sends it, failed with BodyTooLargeError once more than `limit` bytes
 * have gone by: for a chunked body, whose size nobody knows in advance. A piped stream, not an
 * async iterator over the request: an iterator left early destroys the request and its socket,
 * and the client would get no 413. Only routes with max_body_size pay for this.
 */
export function limitedBody(req: IncomingMessage, limit: number): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(new BodyTooLargeError(limit));
      else done(null, chunk);
    },
  });
  return req.pipe(counter);
}
