/**
 * A min-heap of (due time, instance id) with one live entry per id: scheduling an id again or
 * removing it makes its older entries stale, and stale entries are skipped when they surface. One
 * timer serves the whole queue, so no timer is left behind when an instance goes away.
 */
export class DueQueue {
  private readonly heap: { due: number; id: string; generation: number }[] = [];
  private readonly live = new Map<string, number>();
  private generations = 0;

  get size(): number {
    return this.live.size;
  }

  schedule(id: string, due: number): void {
    const generation = ++this.generations;
    this.live.set(id, generation);
    this.heap.push({ due, id, generation });
    this.siftUp(this.heap.length - 1);
    if (this.heap.length > 64 && this.heap.length > 4 * this.live.size) this.compact();
  }

  remove(id: string): void {
    this.live.delete(id);
  }

  /** Due time of the earliest live entry, or null when empty. */
  peekDue(): number | null {
    this.dropStale();
    return this.heap.length > 0 ? this.heap[0].due : null;
  }

  /** Takes the earliest live entry if it is due at `now`. */
  popDue(now: number): string | null {
    this.dropStale();
    if (this.heap.length === 0 || this.heap[0].due > now) return null;
    const top = this.pop();
    this.live.delete(top.id);
    return top.id;
  }

  private dropStale(): void {
    while (this.heap.length > 0 && this.live.get(this.heap[0].id) !== this.heap[0].generation)
      this.pop();
  }

  /** Many reschedules leave many stale entries: rebuild once they outnumber live ones four to one. */
  private compact(): void {
    const kept = this.heap.filter((entry) => this.live.get(entry.id) === entry.generation);
    this.heap.length = 0;
    for (const entry of kept) {
      this.heap.push(entry);
      this.siftUp(this.heap.length - 1);
    }
  }

  private pop(): { due: number; id: string; generation: number } {
    const top = this.heap[0];
    const last = this.heap.pop() as (typeof this.heap)[number];
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent].due <= heap[index].due) return;
      [heap[parent], heap[index]] = [heap[index], heap[parent]];
      index = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && heap[left].due < heap[smallest].due) smallest = left;
      if (right < heap.length && heap[right].due < heap[smallest].due) smallest = right;
      if (smallest === index) return;
      [heap[smallest], heap[index]] = [heap[index], heap[smallest]];
      index = smallest;
    }
  }
}
