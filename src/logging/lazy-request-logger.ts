import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger as Pino } from 'pino';

type LogArgs = [unknown, ...unknown[]];

/**
 * Fastify's childLoggerFactory: every request gets a `request.log`, and pino builds a child by
 * serializing its bindings — measured, about 3% of a registration's CPU — although the admin API
 * writes a line per request only at debug and on errors. This stand-in builds pino's child at the
 * first line its level lets through; the lines are the child's, `reqId` included.
 */
export function lazyRequestLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(parent as Pino, bindings, options) as unknown as FastifyBaseLogger;
}

class LazyRequestLogger {
  private built: Pino | null = null;

  constructor(
    private readonly parent: Pino,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.built?.level ?? (this.options.level || this.parent.level);
  }

  set level(level: string) {
    this.real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    if (this.built) return this.built.isLevelEnabled(level);
    const values = this.parent.levels.values;
    return values[level] >= values[this.level];
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Pino {
    return this.real().child(bindings, options);
  }

  fatal(...line: LogArgs): void {
    this.write('fatal', line);
  }
  error(...line: LogArgs): void {
    this.write('error', line);
  }
  warn(...line: LogArgs): void {
    this.write('warn', line);
  }
  info(...line: LogArgs): void {
    this.write('info', line);
  }
  debug(...line: LogArgs): void {
    this.write('debug', line);
  }
  trace(...line: LogArgs): void {
    this.write('trace', line);
  }
  silent(): void {}

  private write(level: Level, line: LogArgs): void {
    if (!this.isLevelEnabled(level)) return;
    const logger = this.real();
    (logger[level] as (...line: LogArgs) => void).apply(logger, line);
  }

  private real(): Pino {
    return (this.built ??= this.parent.child(this.bindings, this.options));
  }
}
