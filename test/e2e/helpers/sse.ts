import { ClientRequest, request } from 'node:http';

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * A raw Server-Sent Events reader on a plain HTTP request: every byte received is counted (so a
 * test can assert that nothing at all came), and events are parsed as the spec frames them.
 */
export class SseReader {
  status = 0;
  headers: Record<string, string | string[] | undefined> = {};
  bytes = 0;
  ended = false;
  readonly events: SseEvent[] = [];
  private buffer = '';
  private req!: ClientRequest;
  private readonly ready: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}, readBody = true) {
    this.ready = new Promise((resolve, reject) => {
      this.req = request(url, { headers }, (res) => {
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        if (!readBody) res.pause();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          this.bytes += Buffer.byteLength(chunk);
          this.buffer += chunk;
          this.parse();
        });
        res.on('close', () => (this.ended = true));
        resolve();
      });
      this.req.on('error', (error: Error) => {
        this.ended = true;
        reject(error);
      });
      this.req.end();
    });
  }

  /** Resolves once the response head is in. */
  opened(): Promise<void> {
    return this.ready;
  }

  /** Waits for the n-th event (counting from 1) of the given name. */
  async nth(event: string, n = 1, timeoutMs = 3_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.filter((e) => e.event === event);
      if (found.length >= n) return found[n - 1];
      if (this.ended || Date.now() > deadline)
        throw new Error(
          `no ${event} #${n}; got ${JSON.stringify(this.events.map((e) => e.event))}`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.req.destroy();
  }

  private parse(): void {
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { id: null, event: 'message', data: '' };
      let any = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') event.data += value;
        any = true;
      }
      if (any) this.events.push(event);
    }
  }
}
