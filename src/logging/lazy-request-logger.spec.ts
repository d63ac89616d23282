import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { lazyRequestLogger } from './lazy-request-logger';
import { createRootLogger } from './root-logger';

function rootAt(logLevel: 'info' | 'debug') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const root = createRootLogger({ logLevel, logFormat: 'json' }, stream);
  const children = jest.spyOn(root, 'child');
  return { root: root as FastifyBaseLogger, lines, children };
}

describe('lazyRequestLogger', () => {
  it("writes a request's lines as pino's child would, reqId and redaction included", () => {
    const { root, lines } = rootAt('info');
    const log = lazyRequestLogger(root, { reqId: 'r-1' }, {});
    log.error({ req: { headers: { authorization: 'Bearer s3cret' } } }, 'failed %s', 'here');
    log.child({ phase: 'x' }).warn('nested');
    expect(lines).toMatchObject([
      { level: 'error', reqId: 'r-1', msg: 'failed here' },
      { level: 'warn', reqId: 'r-1', phase: 'x', msg: 'nested' },
    ]);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('builds no child for a request whose lines its level filters out', () => {
    const { root, lines, children } = rootAt('info');
    const log = lazyRequestLogger(root, { reqId: 'r-2' }, {});
    log.debug('skipped');
    log.trace('skipped');
    expect(log.level).toBe('info');
    expect(children).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it("follows a route's own level over the root's, as Fastify's child would", () => {
    const { root, lines } = rootAt('info');
    const quiet = lazyRequestLogger(root, { reqId: 'r-3' }, { level: 'error' });
    quiet.info('not written');
    const chatty = lazyRequestLogger(root, { reqId: 'r-4' }, { level: 'debug' });
    chatty.debug('written');
    expect(quiet.level).toBe('error');
    quiet.level = 'info';
    quiet.info('written after its level changed');
    expect(quiet.level).toBe('info');
    expect(lines).toMatchObject([
      { level: 'debug', reqId: 'r-4', msg: 'written' },
      { level: 'info', reqId: 'r-3', msg: 'written after its level changed' },
    ]);
  });
});
