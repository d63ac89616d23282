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

/**
 * The process's one pino logger: Fastify's, Nest's (through NestPinoLogger) and the gateway's.
 * JSON lines on stdout with `time`, `level` (a name, so a pipeline needs no table) and `msg`;
 * LOG_FORMAT=pretty writes pino-pretty's lines instead, in this thread (no worker to outlive us).
 */
export function createRootLogger(
  server: Pick<ServerSettings, 'logLevel' | 'logFormat'>,
  destination?: NodeJS.WritableStream,
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
  // Asynchronous: lines written while a write is in flight go out together in the next one (a
  // write per line cost a registration about 8% of its time). Pino flushes what is left when the
  // process exits; kill -9 can lose the last lines, never a registration.
  return pino(options, destination ?? pino.destination({ fd: 1, sync: false }));
}

/** A logger that writes nothing (tests that boot the app in-process without logs). */
export function silentLogger(): Pino {
  return pino({ level: 'silent' });
}
