import pino, { Logger as Pino, LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel, ServerSettings } from '../config/settings';
import { REDACT_PATHS, REDACTED } from './redaction';

/** LOG_LEVEL in pino's words: Nest's `verbose` is pino's `trace`. */
const PINO_LEVELS: Record<LogLevel, LevelWithSilent> = {
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Log bytes held while stdout is slow; lines beyond are dropped and counted, memory stays bounded. */
export const LOG_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * Lines are written once this many bytes wait, or LOG_FLUSH_MS after they came. Written as soon as
 * the last write returned, nearly every line was its own write at a steady 3,000 registrations/s
 * (11.5% of the main thread in a profile, 3.0% gathered; numbers in the README's Logs).
 */
export const LOG_WRITE_BYTES = 8 * 1024;
export const LOG_FLUSH_MS = 100;

/** Where the JSON lines go when no stream is given: stdout, or (tests) a file; and how much waits. */
export interface LogTarget {
  fd?: number;
  dest?: string;
  maxBufferedBytes: number;
}

/**
 * The process's one pino logger: Fastify's, Nest's (through NestPinoLogger) and the gateway's.
 * JSON lines on stdout with `time`, `level` (a name, so a pipeline needs no table) and `msg`;
 * LOG_FORMAT=pretty writes pino-pretty's lines instead, in this thread (no worker to outlive us).
 */
export function createRootLogger(
  server: Pick<ServerSettings, 'logLevel' | 'logFormat'>,
  destination?: NodeJS.WritableStream,
  target: LogTarget = { fd: 1, maxBufferedBytes: LOG_BUFFER_BYTES },
): Pino {
  const options = {
    level: PINO_LEVELS[server.logLevel],
    base: undefined,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
  };
  if (server.logFormat === 'pretty') {
    return pino(options, pretty({ sync: true, destination: destination ?? 1 }));
  }
  if (destination) return pino(options, destination);
  // Asynchronous and gathered: lines go out LOG_WRITE_BYTES at a time, or within LOG_FLUSH_MS. Pino
  // flushes what is left when the process exits; kill -9 can lose the last 100 ms of lines, never a
  // registration. A reader of stdout that stops reading neither stalls the process (as a
  // synchronous write would) nor grows its memory: past LOG_BUFFER_BYTES waiting, lines are
  // dropped, and a warning says how many.
  const stream = pino.destination({
    fd: target.fd,
    dest: target.dest,
    sync: false,
    // Gathering more than the backlog may hold would drop every line.
    minLength: Math.min(LOG_WRITE_BYTES, target.maxBufferedBytes / 4),
    periodicFlush: LOG_FLUSH_MS,
    maxLength: target.maxBufferedBytes,
  });
  const logger = pino(options, stream);
  reportDrops(stream, logger);
  return logger;
}

/** At most one warning a second, with the count of lines dropped since the last one. */
function reportDrops(stream: ReturnType<typeof pino.destination>, logger: Pino): void {
  let dropped = 0;
  let timer: NodeJS.Timeout | null = null;
  stream.on('drop', (data: string) => {
    for (let at = data.indexOf('\n'); at !== -1; at = data.indexOf('\n', at + 1)) dropped++;
    timer ??= setTimeout(() => {
      timer = null;
      const lines = dropped;
      dropped = 0;
      logger.warn({ droppedLines: lines }, 'log lines dropped: stdout did not take them in time');
    }, 1_000).unref();
  });
}

/** A logger that writes nothing (tests that boot the app in-process without logs). */
export function silentLogger(): Pino {
  return pino({ level: 'silent' });
}
