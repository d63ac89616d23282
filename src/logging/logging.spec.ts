import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { NestPinoLogger } from './nest-pino.logger';
import { pathOnly, withoutQueries } from './redaction';
import { createRootLogger, LOG_BUFFER_BYTES, LOG_FLUSH_MS } from './root-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const root = createRootLogger({ logLevel: 'debug', logFormat: 'json' }, stream);
  return { root, lines };
}

describe('logging', () => {
  it('redacts secret headers and fields wherever an object carries them', () => {
    const { root, lines } = capture();
    root.info(
      {
        req: { headers: { authorization: 'Bearer s3cret-s3cret', 'x-api-key': 'k', host: 'h' } },
        registration: { token: 't0ken' },
      },
      'x',
    );
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/s3cret|"k"|t0ken/);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'x', req: { headers: { host: 'h' } } });
  });

  it("writes Nest's lines with their context and an error's stack", () => {
    const { root, lines } = capture();
    const nest = new NestPinoLogger(root);
    nest.log('plain', 'Registry');
    nest.warn('inside', 'Guard');
    nest.error('failed', 'Error: failed\n    at x', 'Filter');
    nest.log('Mapped {/x, GET} route', 'RouterExplorer');
    nest.verbose('too fine', 'Registry');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', msg: 'plain', context: 'Registry' }),
      expect.objectContaining({ level: 'warn', msg: 'inside', context: 'Guard' }),
      expect.objectContaining({
        level: 'error',
        context: 'Filter',
        stack: 'Error: failed\n    at x',
      }),
      // Nest's start-up chatter is debug; verbose is below debug.
      expect.objectContaining({ level: 'debug', context: 'RouterExplorer' }),
    ]);
  });

  it('shows a URL without its query or fragment', () => {
    expect(pathOnly('/v1/agent/services?token=abc')).toBe('/v1/agent/services');
    expect(pathOnly('/a#b?c')).toBe('/a');
    expect(pathOnly('/plain')).toBe('/plain');
    expect(pathOnly(undefined)).toBe('');
  });
});

describe('the asynchronous stdout', () => {
  /** The root logger writing to a file of its own, as to stdout; the file goes after `use`. */
  async function withLogFile(
    maxBufferedBytes: number,
    use: (root: ReturnType<typeof createRootLogger>, file: string) => Promise<void>,
  ): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'waypost-log-'));
    const file = join(dir, 'out.log');
    try {
      const root = createRootLogger({ logLevel: 'info', logFormat: 'json' }, undefined, {
        dest: file,
        maxBufferedBytes,
      });
      await use(root, file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('writes a lone line within LOG_FLUSH_MS, though it is far short of LOG_WRITE_BYTES', () =>
    withLogFile(LOG_BUFFER_BYTES, async (root, file) => {
      root.info('first');
      await new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_MS * 5));
      root.info('second');
      await new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_MS * 5));
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
        'first',
        'second',
      ]);
    }));

  it('holds a bounded backlog, drops what is beyond it and says how many lines it dropped', () =>
    withLogFile(4_096, async (root, file) => {
      // One turn: the first write is in flight, the rest wait in memory until 4 KiB, then drop.
      for (let i = 0; i < 2_000; i++) root.info({ i }, 'burst');
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      const stream = (root as unknown as Record<symbol, { flushSync(): void }>)[
        pino.symbols.streamSym
      ];
      stream.flushSync();
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { msg: string; droppedLines?: number });
      const written = lines.filter((line) => line.msg === 'burst').length;
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThan(200);
      const warning = lines.find((line) => line.droppedLines !== undefined);
      expect(warning).toMatchObject({ level: 'warn', droppedLines: 2_000 - written });
    }));
});

describe('withoutQueries', () => {
  it('cuts every URL in a message before its query or fragment', () => {
    expect(withoutQueries('Cannot GET /nowhere?token=s3cret')).toBe('Cannot GET /nowhere');
    expect(withoutQueries('Cannot GET /v1/kv/a?dc=x&token=t and /b#frag')).toBe(
      'Cannot GET /v1/kv/a and /b',
    );
    expect(withoutQueries('Route GET:/x?key=1 not found')).toBe('Route GET:/x not found');
    expect(withoutQueries('no URL here? fine')).toBe('no URL here? fine');
  });
});
