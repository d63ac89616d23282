import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { brotliDecompressSync, createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { RunningWaypost, startWaypost } from './helpers/start-waypost';

const BIG_JSON = JSON.stringify({
  items: Array.from({ length: 400 }, (_, i) => ({ id: i, name: `item ${i}` })),
});

/** A backend with one answer per path: large JSON, small JSON, gzip already, PNG, a slow stream. */
function startBackend(): Promise<Server> {
  const server = createServer((req, res) => {
    switch (req.url) {
      case '/big':
        res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' });
        return void res.end(BIG_JSON);
      case '/small':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 });
        return void res.end('{"ok":true}');
      case '/encoded':
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        return void res.end(gzipSync(BIG_JSON));
      case '/png':
        res.writeHead(200, { 'content-type': 'image/png' });
        return void res.end(Buffer.alloc(5000, 7));
      case '/stream':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: first ${'x'.repeat(2000)}\n\n`);
        setTimeout(() => res.end('data: last\n\n'), 1500);
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('gateway compression', () => {
  let wp: RunningWaypost;
  let backend: Server;

  beforeAll(async () => {
    backend = await startBackend();
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    wp = await startWaypost(
      {},
      {
        routes: [
          { path: '/z', backend: url, strip_prefix: true, compression: true },
          { path: '/plain', backend: url, strip_prefix: true },
        ],
      },
    );
  });

  afterAll(async () => {
    await wp.cleanup();
    await new Promise((resolve) => backend.close(resolve));
  });

  const get = async (path: string, acceptEncoding?: string, method = 'GET') => {
    const answer = await request(`${wp.gateway}${path}`, {
      method: method as 'GET',
      headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {},
    });
    return {
      status: answer.statusCode,
      headers: answer.headers,
      body: Buffer.from(await answer.body.arrayBuffer()),
    };
  };

  it('answers in brotli or gzip as the client accepts, and the bytes come back the same', async () => {
    const br = await get('/z/big', 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-length']).toBeUndefined();
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(br.headers.etag).toBe('W/"v1"');
    expect(br.body.length).toBeLessThan(BIG_JSON.length / 3);
    expect(brotliDecompressSync(br.body).toString()).toBe(BIG_JSON);

    const gz = await get('/z/big', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(BIG_JSON);
  });

  it('leaves alone what is small, encoded already, not text, not asked for, HEAD, or on a route without it', async () => {
    const identity = (answer: { headers: Record<string, unknown> }) =>
      answer.headers['content-encoding'];
    expect(identity(await get('/z/small', 'br'))).toBeUndefined();
    const encoded = await get('/z/encoded', 'br, gzip');
    expect(identity(encoded)).toBe('gzip');
    expect(gunzipSync(encoded.body).toString()).toBe(BIG_JSON);
    expect(identity(await get('/z/png', 'br'))).toBeUndefined();
    const none = await get('/z/big');
    expect(identity(none)).toBeUndefined();
    expect(none.body.toString()).toBe(BIG_JSON);
    expect(identity(await get('/z/big', 'br;q=0, gzip;q=0'))).toBeUndefined();
    expect(identity(await get('/z/big', 'br', 'HEAD'))).toBeUndefined();
    expect(identity(await get('/plain/big', 'br'))).toBeUndefined();
  });

  it('streams: the first event arrives decompressed before the backend has finished', async () => {
    const answer = await request(`${wp.gateway}/z/stream`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(answer.headers['content-encoding']).toBe('gzip');
    const gunzip = createGunzip();
    answer.body.pipe(gunzip);
    const started = Date.now();
    const first = await new Promise<string>((resolve) =>
      gunzip.once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    expect(first).toMatch(/^data: first x+/);
    expect(Date.now() - started).toBeLessThan(1000);
    let rest = '';
    gunzip.on('data', (chunk: Buffer) => (rest += chunk.toString()));
    await new Promise((resolve) => gunzip.on('end', resolve));
    expect(rest).toContain('data: last');
  });
});
