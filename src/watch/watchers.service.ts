import { BeforeApplicationShutdown, Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { ServerResponse } from 'node:http';
import { AppError } from '../common/errors/app-error';
import { serverConfig } from '../config/config.namespaces';
import { INDEX_HEADER } from '../registry/discovery-answer';
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
 * The open event streams: service watches and `/events`. A service watcher subscribes to the change
 * feed of its own service only, so a change of another service costs it nothing; `/events` readers
 * follow the journal. One timer writes the keep-alive comments of all; all count to MAX_WATCHERS.
 */
@Injectable()
export class WatchersService implements BeforeApplicationShutdown, OnModuleDestroy {
  private readonly watchers = new Set<Watcher>();
  private readonly keepAlive: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly registry: RegistryService,
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
  ) {
    this.keepAlive = setInterval(() => this.writeKeepAlive(), KEEP_ALIVE_MS).unref();
  }

  get count(): number {
    return this.watchers.size;
  }

  /** Refuses one watcher above MAX_WATCHERS, or once shutting down, before anything is written. */
  admit(): void {
    // A client that reconnects at once (EventSource) would otherwise hold the shutdown open.
    if (this.closing) throw new AppError('SERVICE_UNAVAILABLE', 'shutting down');
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
    const event = (name: string, index: number) =>
      sseEvent(index, name, withIndex(this.registry.discover(serviceType, filter), index));
    const watcher = this.start(res, current, (send) =>
      feed.subscribe(serviceType, (index) => send(event('update', index))),
    );
    this.write(watcher, lastEventId !== current ? event('snapshot', current) : SSE_KEEP_ALIVE);
  }

  /**
   * `/events`: every change from now on (check results too with `checks`). With `lastEventId`, the
   * changes after it first, or a `reset` event when the journal no longer holds them all.
   */
  openEvents(res: ServerResponse, lastEventId: number | null, checks: boolean): void {
    const journal = this.registry.journal;
    const current = this.registry.changes.index;
    const watcher = this.start(res, current, (send) =>
      journal.subscribe((entry) => {
        if (checks || !entry.check) send(sseEvent(entry.index, entry.event, entry.json));
      }),
    );
    const missed = lastEventId === null ? [] : journal.since(lastEventId, current);
    if (missed === null) {
      this.write(watcher, sseEvent(current, 'reset', JSON.stringify({ index: current })));
    } else {
      this.write(watcher, SSE_KEEP_ALIVE);
      for (const entry of missed)
        this.write(watcher, sseEvent(entry.index, entry.event, entry.json));
    }
  }

  /** Opens an event stream on `res` and keeps it with the others until either side ends it. */
  private start(
    res: ServerResponse,
    index: number,
    subscribe: (send: (text: string) => void) => () => void,
  ): Watcher {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      [INDEX_HEADER]: String(index),
    });
    const watcher: Watcher = { res, unsubscribe: () => undefined };
    watcher.unsubscribe = subscribe((text) => this.write(watcher, text));
    this.watchers.add(watcher);
    res.on('close', () => this.close(watcher));
    return watcher;
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const watcher of [...this.watchers]) {
      this.close(watcher);
      // A watcher that stopped reading would keep its unsent backlog, and the listener, open.
      if (watcher.res.writableLength > 0) watcher.res.destroy();
      else watcher.res.end();
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
