import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { UpstreamTrust } from '../tls/upstream-trust';

/**
 * One keep-alive undici Pool per upstream origin, made on first use and kept. An https origin is
 * verified against Node's CAs and UPSTREAM_CA_FILE's, its name sent as SNI (undici's default).
 */
@Injectable()
export class UpstreamPools implements OnApplicationShutdown {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly trust: UpstreamTrust) {}

  poolFor(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: 256,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 60_000,
        ...(this.trust.ca !== undefined && { connect: this.trust.connectOptions }),
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    this.pools.clear();
  }
}
