import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Transform } from 'node:stream';
import { errors, type Dispatcher } from 'undici';
import { Compression, compressedHead, createEncoder, shouldCompress } from './edge/compression';
import { responseHeaders } from './forward-headers';

const SMALL_BODY_BYTES = 4096;

function uncork(socket: Socket): void {
  socket.uncork();
}

/** A precise route timeout ran out: before the answer's head, or while its body was idle. */
function onDeadline(call: UpstreamCall<unknown>): void {
  call.timedOut();
}

/** Raised on the upstream request when the client goes away before the answer is complete. */
class ClientGoneError extends Error {
  constructor() {
    super('the client went away');
  }
}

/** What the gateway does with an attempt's response head, and when the attempt is over. */
export interface UpstreamCallHooks<T> {
  /** The header set to write for this status; called once, when the backend answers. */
  head(context: T, statusCode: number, headers: Record<string, string | string[]>): object;
  /** The attempt is over: answered in full (error null), failed, or cut off by the client. */
  settle(call: UpstreamCall<T>, error: Error | null): void;
}

/**
 * One attempt at one backend, as an undici dispatch handler that writes the backend's answer
 * straight into the client's response. Cheaper per request than undici's `stream` (no
 * AsyncResource, no `finished()` listeners, no abort-signal plumbing), and unlike `stream` it
 * leaves an unsent request body alone when the connection fails, so that body can go elsewhere.
 */
export class UpstreamCall<T> implements Dispatcher.DispatchHandler {
  statusCode = 0;
  clientGone = false;
  private abortUpstream: ((reason?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private settled = false;
  /** The answer's encoder, when the route compresses and this answer is worth it. */
  private encoder: Transform | null = null;
  /** The route's timeout when undici's coarse timers would overshoot it; refreshed by each chunk. */
  private deadline: NodeJS.Timeout | null = null;

  constructor(
    readonly context: T,
    private readonly res: ServerResponse,
    private readonly hooks: UpstreamCallHooks<T>,
    private readonly compression: Compression | null = null,
    /** 0: undici's headersTimeout and bodyTimeout time the attempt. */
    private readonly preciseTimeoutMs = 0,
  ) {}

  /** The deadline ran out: the attempt fails as undici's own timeout would (504, no retry). */
  timedOut(): void {
    this.deadline = null;
    this.abortUpstream?.(
      this.statusCode === 0 ? new errors.HeadersTimeoutError() : new errors.BodyTimeoutError(),
    );
  }

  /** The client left: the upstream request goes too, now or as soon as undici starts it. */
  cancel(): void {
    if (this.settled) return;
    this.clientGone = true;
    this.abortUpstream?.(new ClientGoneError());
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.clientGone) return abort(new ClientGoneError());
    this.abortUpstream = abort;
    if (this.preciseTimeoutMs > 0)
      this.deadline = setTimeout(onDeadline, this.preciseTimeoutMs, this);
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    // 1xx answers (100 Continue, 103 Early Hints) are not passed on; the final answer follows.
    if (statusCode < 200) return true;
    this.statusCode = statusCode;
    this.deadline?.refresh();
    const res = this.res;
    const headers = responseHeaders(raw);
    if (this.compression !== null && shouldCompress(this.compression.policy, statusCode, headers))
      this.startEncoder(headers, this.compression);
    // A larger body tends to come in over several socket reads: whatever of it arrives in this
    // turn of the event loop goes out with the head in one write, not a write per read (+10% on
    // 16 KiB answers in `npm run bench`). Small answers skip it: node:http batches a single turn's
    // writes already, and the extra callback cost them 5%.
    // HTTP/2 streams share their connection's socket, and nghttp2 batches frames itself.
    const length = headers['content-length'];
    const socket = res instanceof ServerResponse ? res.socket : null;
    if (
      socket !== null &&
      !socket.writableCorked &&
      (length === undefined || Number(length) > SMALL_BODY_BYTES)
    ) {
      socket.cork();
      setImmediate(uncork, socket);
    }
    res.writeHead(statusCode, this.hooks.head(this.context, statusCode, headers) as never);
    this.resume = resume;
    return this.flowing(!res.writableNeedDrain);
  }

  onData(chunk: Buffer): boolean {
    this.deadline?.refresh();
    if (this.encoder !== null) return this.encoding(this.encoder, this.encoder.write(chunk));
    return this.flowing(this.res.write(chunk));
  }

  onComplete(): void {
    // The encoder's pipe ends the response once the last compressed bytes are out.
    if (this.encoder !== null) this.encoder.end();
    else this.res.end();
    this.finish(null);
  }

  onError(error: Error): void {
    this.encoder?.destroy();
    this.finish(error);
  }

  private startEncoder(headers: Record<string, string | string[]>, compression: Compression) {
    compressedHead(headers, compression.coding);
    const encoder = createEncoder(compression.coding);
    this.encoder = encoder;
    // pipe() keeps the client's back-pressure on the encoder; a client that leaves frees zlib.
    encoder.pipe(this.res);
    this.res.once('close', () => encoder.destroy());
  }

  /** Back-pressure through the encoder: undici waits while its input is full. */
  private encoding(encoder: Transform, ok: boolean): boolean {
    if (!ok && this.resume) encoder.once('drain', this.resume);
    return ok;
  }

  /**
   * Back-pressure: when the client's socket is full, undici pauses until it drains. The listener is
   * added only then (most answers never fill it), and once.
   */
  private flowing(ok: boolean): boolean {
    if (!ok && this.resume) this.res.once('drain', this.resume);
    return ok;
  }

  private finish(error: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.abortUpstream = null;
    this.hooks.settle(this, error);
  }
}
