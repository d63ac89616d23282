import type { Instance, ServiceInstances } from './api.js';
import { errorOf, unreachable, WaypostError } from './errors.js';
import { readSse } from './sse.js';
import { backoffMs, pause, Transport } from './transport.js';

/** How long a long-poll waits for a change before it asks again. */
const LONG_POLL_WAIT = '30s';
/** Streams that end before their first event, in a row, before the watch falls back to long-polls. */
const BROKEN_STREAMS_BEFORE_LONG_POLL = 2;
/** A watch tries again at most this long after the registry went away, so it resumes soon after. */
const WATCH_BACKOFF_MAX_MS = 4_000;
/** The registry writes at least every 15 s on a watch; silence this long means something holds it. */
const SILENT_STREAM_MS = 35_000;
/** Answers on the watch path that mean something in the way does not pass streams (not the registry's own refusal). */
const NOT_A_STREAM = new Set([404, 405, 406, 501, 502, 503, 504]);

/**
 * One service's instances, kept live: a watch stream (`/services/:type/watch`) resumed with
 * `Last-Event-ID` after any break, or — when something in the way breaks Server-Sent Events
 * (a buffering proxy: no event-stream, or streams that end before their first event) — long-polls
 * on `?index=`. While the registry is away the last known list stays.
 */
export class ServiceWatch {
  private list: Instance[] = [];
  private index = 0;
  private known = false;
  private longPoll = false;
  private brokenStreams = 0;
  private readonly firstAnswer: Promise<void>;
  private answered!: () => void;
  private lastError: WaypostError | null = null;

  constructor(
    private readonly transport: Transport,
    readonly serviceType: string,
    private readonly credentials: () => Record<string, string>,
    private readonly onChange: (instances: Instance[]) => void,
    private readonly onError: (error: WaypostError) => void,
  ) {
    this.firstAnswer = new Promise((resolve) => (this.answered = resolve));
    void this.run();
  }

  /** The instances as last known; waits for the first answer, or fails if it cannot come. */
  async instances(timeoutMs: number): Promise<Instance[]> {
    if (!this.known) {
      await Promise.race([this.firstAnswer, pause(timeoutMs, this.transport.signal)]);
      if (!this.known) {
        throw (
          this.lastError ??
          new WaypostError(`discovering ${this.serviceType}: no answer yet`, 0, 'UNREACHABLE')
        );
      }
    }
    return this.list;
  }

  get mode(): 'watch' | 'long-poll' {
    return this.longPoll ? 'long-poll' : 'watch';
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.transport.closed;) {
      try {
        const delivered = this.longPoll ? await this.poll() : await this.stream();
        attempt = delivered ? 0 : attempt + 1;
        if (delivered) continue;
      } catch (error) {
        if (this.transport.closed) return;
        this.lastError = error as WaypostError;
        this.onError(this.lastError);
        attempt++;
      }
      await pause(backoffMs(attempt, WATCH_BACKOFF_MAX_MS), this.transport.signal);
    }
  }

  /** One watch stream, until it ends; answers whether it delivered anything. */
  private async stream(): Promise<boolean> {
    const headers: Record<string, string> = { ...this.credentials(), accept: 'text/event-stream' };
    if (this.known) headers['last-event-id'] = String(this.index);
    const silence = new AbortController();
    let timer = setTimeout(() => silence.abort(), SILENT_STREAM_MS);
    timer.unref();
    const heard = () => {
      clearTimeout(timer);
      timer = setTimeout(() => silence.abort(), SILENT_STREAM_MS);
      timer.unref();
    };
    try {
      const response = await this.transport.raw(`watching ${this.serviceType}`, this.watchPath(), {
        headers,
        signal: AbortSignal.any([this.transport.signal, silence.signal]),
      });
      if (NOT_A_STREAM.has(response.status)) {
        await response.body?.cancel();
        return this.streamBroke();
      }
      if (!response.ok) throw await errorOf(response, `watching ${this.serviceType}`);
      if (
        !response.headers.get('content-type')?.startsWith('text/event-stream') ||
        !response.body
      ) {
        await response.body?.cancel();
        return this.streamBroke();
      }
      const body = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            heard();
            controller.enqueue(chunk);
          },
        }),
      );
      let events = 0;
      try {
        for await (const event of readSse(body)) {
          if (event.event !== 'snapshot' && event.event !== 'update') continue;
          events++;
          this.take(JSON.parse(event.data) as ServiceInstances, Number(event.id ?? 0));
        }
      } catch (error) {
        if (this.transport.closed) return events > 0;
        if (events === 0) return this.streamBroke();
        if (!silence.signal.aborted) throw unreachable(`watching ${this.serviceType}`, error);
      }
      // Resumed while current, the registry sends no event until the next change: that is normal.
      if (events === 0 && (!this.known || silence.signal.aborted)) return this.streamBroke();
      this.brokenStreams = 0;
      return events > 0;
    } finally {
      clearTimeout(timer);
    }
  }

  private streamBroke(): boolean {
    if (++this.brokenStreams >= BROKEN_STREAMS_BEFORE_LONG_POLL) this.longPoll = true;
    return false;
  }

  /** One long-poll: answers at once the first time, then when the service changed. */
  private async poll(): Promise<boolean> {
    const query = this.known ? `?index=${this.index}&wait=${LONG_POLL_WAIT}` : '';
    const response = await this.transport.raw(
      `discovering ${this.serviceType}`,
      `/services/${encodeURIComponent(this.serviceType)}${query}`,
      { headers: this.credentials() },
    );
    if (!response.ok) throw await errorOf(response, `discovering ${this.serviceType}`);
    const answer = (await response.json()) as ServiceInstances;
    this.take(answer, Number(response.headers.get('x-waypost-index') ?? 0));
    return true;
  }

  private take(answer: ServiceInstances, index: number): void {
    const changed = this.known && index !== this.index;
    this.list = answer.instances;
    this.index = index;
    this.lastError = null;
    if (!this.known) {
      this.known = true;
      this.answered();
    } else if (changed) {
      this.onChange(this.list);
    }
  }

  private watchPath(): string {
    return `/services/${encodeURIComponent(this.serviceType)}/watch`;
  }
}
