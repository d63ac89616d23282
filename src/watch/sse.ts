/**
 * Server-Sent Events framing (WHATWG HTML, "Server-sent events"): each event is `id:`, `event:` and
 * one `data:` line, ended by a blank line; a line starting with `:` is a comment that keeps
 * intermediaries from closing an idle stream. Data here is always one line of JSON.
 */
export function sseEvent(id: number, event: string, json: string): string {
  return `id: ${id}\nevent: ${event}\ndata: ${json}\n\n`;
}

export const SSE_KEEP_ALIVE = ': keep-alive\n\n';

/** `{"serviceType", "instances"}` as JSON, with the index in front: the body of a watch event. */
export function withIndex(json: string, index: number): string {
  return `{"index":${index},${json.slice(1)}`;
}

/**
 * A `Last-Event-ID` header: absent, or an index of whole digits. Answers null when absent, NaN when
 * malformed.
 */
export function parseLastEventId(value: string | string[] | undefined): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return NaN;
  return Number(value);
}
