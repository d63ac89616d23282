/** One line of an instance's history: a status change, or a failed check that changed none. */
export interface HistoryEntry {
  at: string;
  from: string;
  to: string;
  reason: string;
  /** The probe's or the failed gateway request's error; null for a change without one. */
  detail: string | null;
}

/** The contract keeps an instance's last 100 status changes and failed checks. */
export const HISTORY_SIZE = 100;

/**
 * The recent history of every instance, newest first, bounded per instance; an instance's history
 * goes with it. Kept in memory: a restart starts every history afresh. Pure.
 */
export class InstanceHistory {
  private readonly byInstance = new Map<string, HistoryEntry[]>();

  record(instanceId: string, entry: HistoryEntry): void {
    let entries = this.byInstance.get(instanceId);
    if (!entries) {
      entries = [];
      this.byInstance.set(instanceId, entries);
    }
    entries.unshift(entry);
    if (entries.length > HISTORY_SIZE) entries.length = HISTORY_SIZE;
  }

  of(instanceId: string): readonly HistoryEntry[] {
    return this.byInstance.get(instanceId) ?? [];
  }

  forget(instanceId: string): void {
    this.byInstance.delete(instanceId);
  }
}
