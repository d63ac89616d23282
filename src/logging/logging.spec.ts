import { Writable } from 'node:stream';
import { NestPinoLogger } from './nest-pino.logger';
import { pathOnly, withoutQueries } from './redaction';
import { createRootLogger } from './root-logger';

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
