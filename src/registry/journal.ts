/**
 * The registry's journal: the last changes as `/events` sends them, each with its index, its JSON
 * written once however many read it. Bounded: the oldest entries go first. Pure.
 */
export interface JournalEntry {
  readonly index: number;
  /** The contract's event name: instanceRegistered, instanceStatusChanged, routeAdded, … */
  readonly event: string;
  /** The event's data, JSON. */
  readonly json: string;
  /** Check results are not changes: sent only to readers that ask for them, and not replayed. */
  readonly check: boolean;
}

/**
 * An entry whose JSON is written when first read (by a reader along, or a replay) and then kept.
 * While no one reads `/events`, a burst of registrations keeps the records its entries name — which
 * the registry holds anyway and never changes (every change is a new record) — instead of 4,096
 * copies of them as text: 3.2 MB with 10,000 registrations. `data` must be built from such
 * unchanging values only.
 */
export class LazyJournalEntry implements JournalEntry {
  private text: string | null = null;

  constructor(
    readonly index: number,
    readonly event: string,
    private data: (() => object) | null,
    readonly check: boolean,
  ) {}

  get json(): string {
    if (this.text === null) {
      this.text = JSON.stringify({ index: this.index, ...(this.data as () => object)() });
      this.data = null;
    }
    return this.text;
  }
}

export type JournalReader = (entry: JournalEntry) => void;

/** The contract keeps at least the last 1000 changes for replay. */
export const JOURNAL_SIZE = 4096;

export class Journal {
  private readonly entries: (JournalEntry | undefined)[];
  private start = 0;
  private length = 0;
  private readonly readers = new Set<JournalReader>();

  /**
   * @param floor every change after this index is held (until the oldest is dropped, which raises
   *   it): the registry's index when the process started.
   */
  constructor(
    private floor = 0,
    private readonly capacity = JOURNAL_SIZE,
  ) {
    this.entries = new Array(capacity);
  }

  append(entry: JournalEntry): void {
    if (!entry.check) {
      if (this.length === this.capacity) {
        // The oldest goes: from now on only changes after it are all held.
        this.floor = Math.max(this.floor, (this.entries[this.start] as JournalEntry).index);
        this.start = (this.start + 1) % this.capacity;
        this.length--;
      }
      this.entries[(this.start + this.length) % this.capacity] = entry;
      this.length++;
    }
    for (const reader of [...this.readers]) reader(entry);
  }

  /**
   * The changes after `index`, oldest first; null when some of them are no longer held, or the
   * index is from the future (the reader must start over).
   */
  since(index: number, current: number): JournalEntry[] | null {
    if (index > current || index < this.floor) return null;
    const held: JournalEntry[] = [];
    for (let i = 0; i < this.length; i++) {
      const entry = this.entries[(this.start + i) % this.capacity] as JournalEntry;
      if (entry.index > index) held.push(entry);
    }
    return held;
  }

  /** True while anyone reads along: check results, which are not kept, need a reader to matter. */
  get hasReaders(): boolean {
    return this.readers.size > 0;
  }

  subscribe(reader: JournalReader): () => void {
    this.readers.add(reader);
    return () => this.readers.delete(reader);
  }
}
