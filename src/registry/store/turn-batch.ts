/**
 * Collects what arrives during one turn of the event loop and hands it over whole once the turn's
 * I/O callbacks have run (setImmediate): every registration whose body arrived in the same turn
 * shares one write. Waiting costs a request at most the rest of that turn.
 */
export class TurnBatch<T> {
  private items: T[] = [];
  private scheduled = false;

  constructor(private readonly flush: (items: T[]) => void) {}

  add(item: T): void {
    this.items.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** Hands over what is waiting now (at close, so nothing asked is left unanswered). */
  drain(): void {
    this.scheduled = false;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.flush(items);
  }
}
