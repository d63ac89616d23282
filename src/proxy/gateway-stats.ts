import { Injectable } from '@nestjs/common';

/** Gateway answers by status class, counted on the hot path with one array increment. */
@Injectable()
export class GatewayStats {
  /** Index 1..5 for 1xx..5xx. */
  readonly byClass = [0, 0, 0, 0, 0, 0];

  count(statusCode: number): void {
    const statusClass = Math.floor(statusCode / 100);
    if (statusClass >= 1 && statusClass <= 5) this.byClass[statusClass]++;
  }
}
