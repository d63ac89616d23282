/**
 * The registry's journal: the last changes as `/events` sends them, each with its index, kept as
 * serialized JSON so that any number of readers cost no serialization. Bounded: the oldest entries
 * go first. Pure.
 */
export interface JournalEntry {
  index: number;
  /** The contract's event name: instanceRegistered, instanceStatusChanged, routeAdded, … */
  event: string;
  /** The event's data, JSON. */
  json: string;
  /** Check results are not changes: sent only to readers that ask for them, and not replayed. */
  check: boolean;
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
