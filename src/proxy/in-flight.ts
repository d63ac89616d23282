import { Injectable } from '@nestjs/common';

/** Requests in flight per instance, for `least_connections`; an instance at zero has no entry. */
@Injectable()
export class InFlight {
  private readonly counts = new Map<string, number>();
  /** Bound once: balancers call it per candidate. */
  readonly of = (id: string): number => this.counts.get(id) ?? 0;

  start(id: string): void {
    this.counts.set(id, this.of(id) + 1);
  }

  /** Dropped at zero, so instances that come and go leave no entries behind. */
  end(id: string): void {
    const left = this.of(id) - 1;
    if (left > 0) this.counts.set(id, left);
    else this.counts.delete(id);
  }
}
