import { BeforeApplicationShutdown, Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { ServerResponse } from 'node:http';
import { AppError } from '../common/errors/app-error';
import { serverConfig } from '../config/config.namespaces';
import { InstanceFilter } from '../registry/instance-filter';
import { RegistryService } from '../registry/registry.service';
import { sseEvent, SSE_KEEP_ALIVE, withIndex } from './sse';

/** A comment at least this often keeps proxies from closing an idle stream (the contract: 15 s). */
const KEEP_ALIVE_MS = 15_000;
/**
 * A watcher whose socket holds more unsent bytes than this has stopped reading: it is cut off (it
 * resumes with Last-Event-ID) instead of growing Waypost's memory without bound.
 */
export const MAX_BACKLOG_BYTES = 1024 * 1024;

interface Watcher {
  res: ServerResponse;
  unsubscribe: () => void;
}

/**
 * The open watch streams. Each watcher subscribes to the change feed of its own service only, so a
 * change of another service costs it nothing; one timer writes the keep-alive comments of all.
 */
@Injectable()
export class WatchersService implements BeforeApplicationShutdown, OnModuleDestroy {
  private readonly watchers = new Set<Watcher>();
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    private readonly registry: RegistryService,
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
  ) {
    this.keepAlive = setInterval(() => this.writeKeepAlive(), KEEP_ALIVE_MS).unref();
  }

  get count(): number {
    return this.watchers.size;
  }

  /** Refuses one watcher above MAX_WATCHERS, before anything is written. */
  admit(): void {
    if (this.watchers.size >= this.server.maxWatchers) {
      throw new AppError('SERVICE_UNAVAILABLE', `at most ${this.server.maxWatchers} watchers`);
    }
  }

  /**
   * Streams `serviceType` to `res`: a snapshot unless the client is already current
   * (`lastEventId` is the service's index), then one update per change of that service.
   */
  open(
    res: ServerResponse,
    serviceType: string,
    filter: InstanceFilter,
    lastEventId: number | null,
  ): void {
    const feed = this.registry.changes;
    const current = feed.indexOf(serviceType);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-waypost-index': String(current),
    });
    const send = (event: string, index: number) =>
      this.write(
        watcher,
        sseEvent(index, event, withIndex(this.registry.discover(serviceType, filter), index)),
      );
    const watcher: Watcher = {
      res,
      unsubscribe: feed.subscribe(serviceType, (index) => send('update', index)),
    };
    this.watchers.add(watcher);
    res.on('close', () => this.close(watcher));
    if (lastEventId !== current) send('snapshot', current);
    else res.write(SSE_KEEP_ALIVE);
  }

  beforeApplicationShutdown(): void {
    for (const watcher of [...this.watchers]) {
      this.close(watcher);
      watcher.res.end();
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.keepAlive);
  }

  private write(watcher: Watcher, text: string): void {
    if (watcher.res.writableLength > MAX_BACKLOG_BYTES) {
      this.close(watcher);
      watcher.res.destroy();
      return;
    }
    watcher.res.write(text);
  }

  private writeKeepAlive(): void {
    for (const watcher of this.watchers) this.write(watcher, SSE_KEEP_ALIVE);
  }

  private close(watcher: Watcher): void {
    if (!this.watchers.delete(watcher)) return;
    watcher.unsubscribe();
  }
}
