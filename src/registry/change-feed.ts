/**
 * The registry's change log as its readers see it: one registry-wide index that every committed
 * change moves forward, the index of each service's last change, and subscriptions per service.
 * A change wakes only the subscribers of the services it touched: a watcher of one service is never
 * called, and costs nothing, when another changes. Pure: no Nest, no I/O.
 */
export type ChangeListener = (index: number) => void;

/** The key that every change touches: waits on it wake for a change of any service. */
export const ANY_SERVICE = '\u0000any';

export class ChangeFeed {
  private current: number;
  private readonly byService = new Map<string, number>();
  private readonly subscribers = new Map<string, Set<ChangeListener>>();
  /** Pending `changeAfter` calls, released at once by `close`. */
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(index = 0, serviceIndexes: Record<string, number> = {}) {
    this.current = index;
    for (const [service, at] of Object.entries(serviceIndexes)) this.byService.set(service, at);
  }

  /** The index of the last committed change. */
  get index(): number {
    return this.current;
  }

  /** The index of the service's last change; 0 if it never changed. */
  indexOf(service: string): number {
    if (service === ANY_SERVICE) return this.current;
    return this.byService.get(service) ?? 0;
  }

  /** A commit at `index` touched `services`: their subscribers hear of it, nobody else's. */
  publish(index: number, services: Iterable<string>): void {
    this.current = index;
    for (const service of [...services, ANY_SERVICE]) {
      this.byService.set(service, index);
      const listeners = this.subscribers.get(service);
      if (listeners) for (const listener of [...listeners]) listener(index);
    }
  }

  /** Calls `listener` with each later change of `service`; answers the unsubscribe. */
  subscribe(service: string, listener: ChangeListener): () => void {
    let listeners = this.subscribers.get(service);
    if (!listeners) {
      listeners = new Set();
      this.subscribers.set(service, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.subscribers.get(service) === listeners)
        this.subscribers.delete(service);
    };
  }

  /**
   * Resolves with the service's index once it has changed after `after` — at once if it already
   * has — or with null when `waitMs` runs out first.
   */
  changeAfter(service: string, after: number, waitMs: number): Promise<number | null> {
    const known = this.indexOf(service);
    if (known > after) return Promise.resolve(known);
    if (this.closed || waitMs === 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (index: number | null) => {
        clearTimeout(timer);
        unsubscribe();
        this.waiters.delete(release);
        resolve(index);
      };
      const release = () => done(null);
      const timer = setTimeout(release, waitMs);
      const unsubscribe = this.subscribe(service, done);
      this.waiters.add(release);
    });
  }

  /** Shutting down: every pending wait answers now, and later ones do not wait. */
  close(): void {
    this.closed = true;
    for (const release of [...this.waiters]) release();
  }

  /** Subscribers per service, for tests and metrics. */
  subscriberCount(service?: string): number {
    if (service !== undefined) return this.subscribers.get(service)?.size ?? 0;
    let total = 0;
    for (const listeners of this.subscribers.values()) total += listeners.size;
    return total;
  }
}
