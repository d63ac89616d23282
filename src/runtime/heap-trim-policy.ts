/**
 * When the idle heap trim runs. V8 gives memory back on its own only when its memory reducer thinks
 * the process is idle, and a server's timers (checks, pings, metrics) keep it from thinking so: after
 * a burst of registrations the old generation stays full of garbage for minutes (10,000 instances:
 * 215 MB RSS, 185 MB half a minute later, against 135 MB once collected). So a collection is asked
 * for when the heap has grown since the last one and the event loop has been quiet — never under
 * load, where its pause would land on requests. This trim is the only one: Waypost runs with V8's
 * reducer off (node-flags.ts says why). Pure.
 */

export const MIB = 1024 * 1024;

export const HEAP_TRIM = {
  /** How often the process is looked at. */
  everyMs: 2_000,
  /**
   * Quiet: the event loop was busy less than this share of the last look's interval. An idle
   * process with its own timers stays well under it; a trickle of traffic does not.
   */
  quietBelow: 0.01,
  /** Growth of V8's heap (what it holds from the system) since the last trim worth a collection. */
  grownBy: 16 * MIB,
  /** At most one trim in this long, whatever happens. */
  minIntervalMs: 10_000,
} as const;

export interface HeapLook {
  /** Share of the interval the event loop was busy (performance.eventLoopUtilization). */
  utilization: number;
  /** V8's total heap size now. */
  heapTotal: number;
  now: number;
}

export interface LastTrim {
  /** V8's total heap size right after the last trim (or at start). */
  heapTotal: number;
  at: number;
}

export function shouldTrim(look: HeapLook, last: LastTrim): boolean {
  return (
    look.utilization < HEAP_TRIM.quietBelow &&
    look.heapTotal - last.heapTotal >= HEAP_TRIM.grownBy &&
    look.now - last.at >= HEAP_TRIM.minIntervalMs
  );
}
