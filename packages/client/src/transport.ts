import { errorOf, unreachable, WaypostError } from './errors.js';

/** Each call to the registry answers within this, or fails as unreachable. */
const CALL_TIMEOUT_MS = 5_000;

/** How the client reaches the registry: one base URL, one signal that `close()` aborts. */
export class Transport {
  private readonly controller = new AbortController();

  constructor(
    readonly base: string,
    private readonly fetchImpl: typeof fetch,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /** A JSON call; answers the parsed body, or throws WaypostError (status 0 when unreachable). */
  async json<T>(
    what: string,
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<T> {
    const response = await this.raw(what, path, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any([this.signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
    });
    if (!response.ok) throw await errorOf(response, what);
    return (await response.json()) as T;
  }

  /** A request whose answer the caller reads itself (a stream, a long-poll). */
  async raw(what: string, path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(this.base + path, {
        ...init,
        signal: init.signal ?? this.signal,
      });
    } catch (error) {
      if (this.closed) throw new WaypostError(`${what}: the client is closed`, 0, 'CLOSED');
      throw unreachable(what, error);
    }
  }

  close(): void {
    this.controller.abort();
  }
}

/** Capped exponential back-off with jitter: 200 ms, 400 ms, ... up to `maxMs`. */
export function backoffMs(attempt: number, maxMs = 10_000): number {
  const ceiling = Math.min(maxMs, 200 * 2 ** Math.min(attempt, 16));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Resolves after `ms`, or at once when `signal` aborts; the timer never holds the process. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
