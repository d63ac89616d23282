import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { serverConfig } from '../config/config.namespaces';
import { Session } from 'node:inspector';
import { performance, EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { HEAP_TRIM, LastTrim, MIB, shouldTrim } from './heap-trim-policy';

/** What an in-process inspector session offers here: one command. */
interface GcSession {
  post(method: 'HeapProfiler.collectGarbage', callback: (error: Error | null) => void): void;
  disconnect(): void;
}

/**
 * Gives memory back to the system when the process is quiet after its heap grew (the rule and why:
 * heap-trim-policy.ts). The collection is the one a debugger's "collect garbage" button asks for —
 * HeapProfiler.collectGarbage on an in-process inspector session, V8's low-memory collection,
 * which also shrinks the young generation and returns free pages — with no flag on the command line.
 */
@Injectable()
export class IdleHeapTrim implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IdleHeapTrim.name);
  private session: GcSession | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy: EventLoopUtilization = performance.eventLoopUtilization();
  /** None yet: the first quiet moment after start-up trims what loading the modules left. */
  private last: LastTrim = { heapTotal: 0, at: 0 };
  private trimming = false;

  constructor(@Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>) {}

  onModuleInit(): void {
    if (!this.server.heapTrim) return;
    try {
      // Where no session can be had, V8 alone decides.
      const session = new Session();
      session.connect();
      this.session = session as unknown as GcSession;
    } catch (error) {
      this.logger.warn(`no idle heap trim: ${(error as Error).message}`);
      return;
    }
    this.timer = setInterval(() => this.look(), HEAP_TRIM.everyMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.session?.disconnect();
    this.session = null;
  }

  private look(): void {
    const busy = performance.eventLoopUtilization(this.busy);
    this.busy = performance.eventLoopUtilization();
    const look = {
      utilization: busy.utilization,
      heapTotal: getHeapStatistics().total_heap_size,
      now: Date.now(),
    };
    if (this.trimming || !this.session || !shouldTrim(look, this.last)) return;
    this.trimming = true;
    const started = performance.now();
    this.session.post('HeapProfiler.collectGarbage', () => {
      this.trimming = false;
      this.last = { heapTotal: getHeapStatistics().total_heap_size, at: Date.now() };
      this.logger.log(
        `heap trimmed while idle: ${mib(look.heapTotal)} → ${mib(this.last.heapTotal)} MiB in ${Math.round(performance.now() - started)} ms`,
      );
    });
  }
}

function mib(bytes: number): number {
  return Math.round(bytes / MIB);
}
