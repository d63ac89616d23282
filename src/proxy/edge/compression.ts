import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { CompressionOptions } from '../../model/route';

export type Coding = 'br' | 'gzip';

/** A request's chosen coding on a route that compresses; decided before the backend is asked. */
export interface Compression {
  policy: CompressionOptions;
  coding: Coding;
}

/**
 * The coding to answer in, from Accept-Encoding: brotli over gzip when both are acceptable (smaller
 * at the speed used here), none when neither is, or when the client refused them with q=0.
 */
export function pickCoding(acceptEncoding: string | string[] | undefined): Coding | null {
  if (typeof acceptEncoding !== 'string') return null;
  let br = false;
  let gzip = false;
  let any = false;
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (name === 'br') br = accepted;
    else if (name === 'gzip') gzip = accepted;
    else if (name === '*') any = accepted;
  }
  if (br) return 'br';
  if (gzip) return 'gzip';
  return any ? 'gzip' : null;
}

function typeMatches(types: readonly string[], contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  for (const wanted of types) {
    if (wanted === type) return true;
    if (wanted.endsWith('/*') && type.startsWith(wanted.slice(0, -1))) return true;
  }
  return false;
}

/**
 * Whether an answer is worth compressing: a body is coming (not 204, 304 or 1xx), the backend did
 * not encode it already, its type is one of the route's, and it is not known to be smaller than
 * `min_size` (an answer of unknown length may be large: it is compressed).
 */
export function shouldCompress(
  policy: CompressionOptions,
  status: number,
  headers: Record<string, string | string[]>,
): boolean {
  if (status === 204 || status === 304 || status < 200) return false;
  const encoded = headers['content-encoding'];
  if (encoded !== undefined && encoded !== 'identity') return false;
  const type = headers['content-type'];
  if (typeof type !== 'string' || !typeMatches(policy.types, type)) return false;
  const length = headers['content-length'];
  return length === undefined || Number(length) >= policy.min_size;
}

/** The response head of a compressed answer, in place: coding, no length, weak ETag, Vary. */
export function compressedHead(headers: Record<string, string | string[]>, coding: Coding): void {
  delete headers['content-length'];
  headers['content-encoding'] = coding;
  const etag = headers.etag;
  // The bytes differ from the identity answer's: a strong validator would lie.
  if (typeof etag === 'string' && etag.startsWith('"')) headers.etag = `W/${etag}`;
  const vary = headers.vary;
  if (vary === undefined) headers.vary = 'Accept-Encoding';
  else if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(String(vary)))
    headers.vary = `${String(vary)}, Accept-Encoding`;
}

/**
 * The encoder: brotli at quality 4 and gzip at level 6, the speeds CDNs use for answers compressed
 * on the fly (brotli's default 11 is for files compressed once), flushed as the backend's chunks
 * come so a stream stays a stream.
 */
export function createEncoder(coding: Coding): Transform {
  return coding === 'br'
    ? createBrotliCompress({
        params: { [constants.BROTLI_PARAM_QUALITY]: 4 },
        flush: constants.BROTLI_OPERATION_FLUSH,
      })
    : createGzip({ level: 6, flush: constants.Z_SYNC_FLUSH });
}
