import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { connect as connectH2, ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls, ConnectionOptions } from 'node:tls';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import WebSocket, { WebSocketServer } from 'ws';
import { aServiceRegistration } from '../factories';
import { LeafPair, makeTestCa, TestCa } from './helpers/certificates';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { waitFor } from './helpers/fake-service';
import { bearer, call } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';
import { kill, runToExit, spawnWaypost, WaypostProcess } from './helpers/waypost-process';

const run = promisify(execFile);
const BIG_JSON = JSON.stringify({ items: Array.from({ length: 2000 }, (_, i) => ({ id: i })) });

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** The certificate a handshake with this server name (none: by address) is served. */
function servedFingerprint(port: number, options: ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    socket.once('secureConnect', () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.end();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}

/** One HTTP/2 exchange on an open session: status, headers and body bytes. */
function h2Request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body?: Buffer | Buffer[],
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let head: IncomingHttpHeaders = {};
    stream.on('response', (h) => (head = h));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () =>
      resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks) }),
    );
    stream.on('error', reject);
    if (body !== undefined) {
      // Several DATA frames and no Content-Length: a body only the stream's end delimits.
      for (const part of Array.isArray(body) ? body : [body]) stream.write(part);
      stream.end();
    }
  });
}

describe('gateway TLS: SNI, HTTP/2 beside HTTP/1.1, redirect listener', () => {
  let ca: TestCa;
  let certDir: string;
  let pairs: Record<string, LeafPair>;
  let echo: EchoBackend;
  let big: Server;
  let wsBackend: WebSocketServer;
  let wp: RunningWaypost;
  let port: number;
  let h2: ClientHttp2Session;

  const trusted = (servername: string): ConnectionOptions => ({
    ca: ca.pem,
    servername,
    rejectUnauthorized: true,
  });

  beforeAll(async () => {
    ca = makeTestCa();
    certDir = join(ca.dir, 'certs');
    mkdirSync(certDir);
    pairs = {
      a: ca.issue(['a.test'], { dir: certDir, base: 'a.test' }),
      b: ca.issue(['b.test'], { dir: certDir, base: 'b.test' }),
      wildcard: ca.issue(['*.w.test'], { dir: certDir, base: '_wildcard.w.test' }),
      fallback: ca.issue(['localhost', '127.0.0.1']),
    };
    echo = await startEchoBackend('echo');
    big = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(BIG_JSON);
    });
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    wsBackend = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wsBackend.on('connection', (socket) =>
      socket.on('message', (data) => socket.send(`echo:${data}`)),
    );
    await new Promise((resolve) => wsBackend.once('listening', resolve));
    const wsUrl = `http://127.0.0.1:${(wsBackend.address() as AddressInfo).port}`;
    wp = await startWaypost(
      {
        GATEWAY_TLS_DIR: certDir,
        GATEWAY_TLS_CERT: pairs.fallback.certPath,
        GATEWAY_TLS_KEY: pairs.fallback.keyPath,
        GATEWAY_HTTP_REDIRECT_PORT: '0',
      },
      {
        routes: [
          {
            path: '/ruled',
            backend: echo.url,
            request_headers: { set: { 'x-client': '${client_ip}' } },
            response_headers: { set: { 'x-served-by': '${route}' } },
          },
          { path: '/limited', backend: echo.url, max_body_size: 1024 },
          {
            path: '/big',
            backend: `http://127.0.0.1:${(big.address() as AddressInfo).port}`,
            compression: true,
          },
          { path: '/ws', backend: wsUrl, websocket: true },
          { path: '/', backend: echo.url },
        ],
      },
    );
    port = portOf(wp.gateway);
    h2 = connectH2(`https://a.test:${port}`, {
      createConnection: () =>
        connectTls({ host: '127.0.0.1', port, ...trusted('a.test'), ALPNProtocols: ['h2'] }),
    });
  });

  afterAll(async () => {
    h2?.close();
    await wp?.cleanup();
    await echo?.close();
    await new Promise((resolve) => big?.close(resolve));
    await new Promise((resolve) => wsBackend?.close(resolve));
    rmSync(ca.dir, { recursive: true, force: true });
  });

  it('serves each host its certificate by SNI: exact, wildcard one label down, else the default pair', async () => {
    expect(await servedFingerprint(port, trusted('a.test'))).toBe(pairs.a.fingerprint);
    expect(await servedFingerprint(port, { servername: 'B.Test' })).toBe(pairs.b.fingerprint);
    expect(await servedFingerprint(port, trusted('api.w.test'))).toBe(pairs.wildcard.fingerprint);
    // A wildcard covers one label only; an unknown name and a client without SNI get the default.
    expect(await servedFingerprint(port, { servername: 'deep.api.w.test' })).toBe(
      pairs.fallback.fingerprint,
    );
    expect(await servedFingerprint(port, { servername: 'other.test' })).toBe(
      pairs.fallback.fingerprint,
    );
    expect(await servedFingerprint(port, { ca: ca.pem })).toBe(pairs.fallback.fingerprint);
  });

  it('refuses TLS 1.1 with a protocol_version alert, and negotiates h2 or http/1.1 by ALPN', async () => {
    const old = servedFingerprint(port, {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    await expect(old).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    const alpn = (protocols: string[]) =>
      new Promise<string | false>((resolve, reject) => {
        const socket = connectTls({
          host: '127.0.0.1',
          port,
          ...trusted('a.test'),
          ALPNProtocols: protocols,
        });
        socket.once('secureConnect', () => {
          resolve(socket.alpnProtocol ?? false);
          socket.end();
        });
        socket.once('error', reject);
      });
    expect(await alpn(['h2', 'http/1.1'])).toBe('h2');
    expect(await alpn(['http/1.1'])).toBe('http/1.1');
  });

  it('proxies HTTP/1.1 over TLS (Node https) with X-Forwarded-Proto: https', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/echo?x=1',
          ...trusted('a.test'),
          headers: { host: `a.test:${port}` },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body);
    expect(seen.url).toBe('/echo?x=1');
    expect(seen.headers).toMatchObject({
      'x-forwarded-proto': 'https',
      'x-forwarded-host': `a.test:${port}`,
      'x-forwarded-for': '127.0.0.1',
    });
  });

  it('proxies HTTP/2 (Node http2): no pseudo-header upstream, streamed bodies both ways, header rules', async () => {
    const get = await h2Request(h2, { ':method': 'GET', ':path': '/echo?q=2' });
    expect(get.status).toBe(200);
    expect(get.headers['x-gateway']).toBe('waypost');
    const seen = JSON.parse(get.body.toString());
    expect(seen.url).toBe('/echo?q=2');
    expect(Object.keys(seen.headers).filter((name) => name.startsWith(':'))).toEqual([]);
    expect(seen.headers).toMatchObject({
      'x-forwarded-proto': 'https',
      'x-forwarded-host': `a.test:${port}`,
    });

    const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(16 * 1024, i));
    const post = await h2Request(h2, { ':method': 'POST', ':path': '/upload' }, parts);
    const posted = JSON.parse(post.body.toString());
    expect(post.status).toBe(200);
    expect(posted.bytes).toBe(20 * 16 * 1024);
    expect(posted.sha256).toBe(createHash('sha256').update(Buffer.concat(parts)).digest('hex'));

    const ruled = await h2Request(h2, { ':method': 'GET', ':path': '/ruled' });
    expect(ruled.headers['x-served-by']).toEqual(expect.any(String));
    expect(JSON.parse(ruled.body.toString()).headers['x-client']).toBe('127.0.0.1');

    const zipped = await h2Request(h2, {
      ':method': 'GET',
      ':path': '/big',
      'accept-encoding': 'gzip',
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.body).toString()).toBe(BIG_JSON);

    const crowded = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`x-h${i}`, '1']));
    const tooMany = await h2Request(h2, { ':method': 'GET', ':path': '/echo', ...crowded });
    expect(tooMany.status).toBe(431);

    const missing = await h2Request(h2, { ':method': 'GET', ':path': '/../etc' });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body.toString()).code).toBe('VALIDATION_FAILED');
  });

  it('answers 413 on HTTP/2 for a declared or a streamed body past max_body_size, and the connection goes on', async () => {
    const before = echo.seen.length;
    const declared = await h2Request(
      h2,
      { ':method': 'POST', ':path': '/limited', 'content-length': '5000' },
      Buffer.alloc(5000, 1),
    );
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body.toString()).code).toBe('PAYLOAD_TOO_LARGE');
    const streamed = await h2Request(
      h2,
      { ':method': 'POST', ':path': '/limited' },
      Array.from({ length: 8 }, () => Buffer.alloc(512, 2)),
    );
    expect(streamed.status).toBe(413);
    expect(echo.seen.slice(before).filter((s) => s.url === '/limited' && s.bytes > 1024)).toEqual(
      [],
    );
    expect((await h2Request(h2, { ':method': 'GET', ':path': '/echo' })).status).toBe(200);
  });

  it('cuts off a stalled handshake, slow HTTP/1.1 headers and a stalled HTTP/2 body within seconds', async () => {
    const started = Date.now();
    const closedAfter = (socket: NodeJS.EventEmitter) =>
      new Promise<number>((resolve) => {
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(Date.now() - started));
      });
    // A TCP connection that never says hello.
    const silent = closedAfter(createConnection(port, '127.0.0.1'));
    // HTTP/1.1 over TLS whose header block never ends: node:http's header deadline, as on plain HTTP.
    const slowHeaders = connectTls({
      host: '127.0.0.1',
      port,
      ...trusted('a.test'),
      ALPNProtocols: ['http/1.1'],
    });
    slowHeaders.once('secureConnect', () =>
      slowHeaders.write('GET /echo HTTP/1.1\r\nHost: a.test\r\n'),
    );
    slowHeaders.on('data', () => undefined);
    const headersCut = closedAfter(slowHeaders);
    // An HTTP/2 upload that stops: the stream is reset, the connection serves on.
    const stalled = h2.request({ ':method': 'POST', ':path': '/upload' }, { endStream: false });
    stalled.write(Buffer.alloc(1000, 1));
    stalled.on('data', () => undefined);
    const stalledCut = new Promise<number>((resolve) => {
      stalled.on('error', () => undefined);
      stalled.on('close', () => resolve(Date.now() - started));
    });
    for (const cut of await Promise.all([silent, headersCut, stalledCut])) {
      expect(cut).toBeGreaterThan(9_000);
      expect(cut).toBeLessThan(14_000);
    }
    expect((await h2Request(h2, { ':method': 'GET', ':path': '/echo' })).status).toBe(200);
  }, 20_000);

  it('talks to curl --http2 and --http1.1 (Debian curl)', async () => {
    const curl = async (version: string) => {
      const { stdout } = await run('curl', [
        '-s',
        version,
        '--cacert',
        ca.certPath,
        '--resolve',
        `b.test:${port}:127.0.0.1`,
        '-o',
        '/dev/null',
        '-w',
        '%{http_code} %{http_version}',
        `https://b.test:${port}/echo`,
      ]);
      return stdout;
    };
    expect(await curl('--http2')).toBe('200 2');
    expect(await curl('--http1.1')).toBe('200 1.1');
  });

  it('tunnels a WebSocket over TLS (HTTP/1.1 upgrade on the TLS port)', async () => {
    // By address: no SNI, so the default pair (issued for 127.0.0.1) is what the client verifies.
    const socket = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca: ca.pem });
    const reply = await new Promise<string>((resolve, reject) => {
      socket.once('open', () => socket.send('hi'));
      socket.once('message', (data) => resolve(String(data)));
      socket.once('error', reject);
    });
    socket.close();
    expect(reply).toBe('echo:hi');
  });

  it('redirects plain HTTP to https with 308, keeping host, path and query', async () => {
    const redirect = wp.httpRedirect as string;
    const answer = await fetch(`${redirect}/echo?x=1`, { redirect: 'manual' });
    expect(answer.status).toBe(308);
    expect(answer.headers.get('location')).toBe(`https://127.0.0.1:${port}/echo?x=1`);
    const post = await fetch(`${redirect}/upload`, {
      method: 'POST',
      body: 'x',
      redirect: 'manual',
    });
    expect(post.status).toBe(308);
    const { stdout } = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{redirect_url}',
      '-H',
      'Host: shop.test',
      `${redirect}/a/b?c=d`,
    ]);
    expect(stdout).toBe(`308 https://shop.test:${port}/a/b?c=d`);
    const { stdout: bad } = await run('curl', ['-s', '-H', 'Host: bad host', `${redirect}/`]);
    expect(JSON.parse(bad)).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
  });
});

describe('gateway TLS files: reload without a restart, bad files at start', () => {
  let ca: TestCa;
  let processes: WaypostProcess[] = [];

  beforeAll(() => {
    ca = makeTestCa();
  });

  afterEach(async () => {
    for (const { child } of processes) await kill(child, 'SIGKILL');
    processes = [];
  });

  afterAll(() => rmSync(ca.dir, { recursive: true, force: true }));

  const dataDir = () => mkdtempSync(join(tmpdir(), 'waypost-tls-'));

  it('reloads a changed pair within seconds, and keeps the loaded one when the new file is bad', async () => {
    const dir = join(ca.dir, `reload-${Date.now()}`);
    mkdirSync(dir);
    const first = ca.issue(['a.test'], { dir, base: 'a.test' });
    const firstDefault = ca.issue(['localhost']);
    const wp = await spawnWaypost({
      STORE: 'memory',
      DATA_DIR: dataDir(),
      LOG_FORMAT: 'pretty',
      GATEWAY_TLS_DIR: dir,
      GATEWAY_TLS_CERT: firstDefault.certPath,
      GATEWAY_TLS_KEY: firstDefault.keyPath,
    });
    processes.push(wp);
    const port = portOf(wp.gateway);
    expect(await servedFingerprint(port, { servername: 'a.test' })).toBe(first.fingerprint);

    const second = ca.issue(['a.test'], { dir, base: 'a.test' });
    expect(second.fingerprint).not.toBe(first.fingerprint);
    await waitFor(
      async () => (await servedFingerprint(port, { servername: 'a.test' })) === second.fingerprint,
      10_000,
    );
    expect(await wp.writtenOutput()).toContain('certificate GATEWAY_TLS_DIR a.test.crt reloaded');

    // The default pair follows too: what a client without SNI is served.
    const secondDefault = ca.issue(['localhost'], {
      dir: join(firstDefault.certPath, '..'),
      base: firstDefault.certPath
        .split('/')
        .pop()!
        .replace(/\.crt$/, ''),
    });
    await waitFor(
      async () => (await servedFingerprint(port)) === secondDefault.fingerprint,
      10_000,
    );

    writeFileSync(
      join(dir, 'a.test.crt'),
      '-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n',
    );
    await waitFor(
      async () => wp.output().includes('certificate GATEWAY_TLS_DIR a.test.crt not reloaded'),
      10_000,
    );
    expect(await servedFingerprint(port, { servername: 'a.test' })).toBe(second.fingerprint);
    expect(await wp.writtenOutput()).not.toContain('PRIVATE KEY');
  });

  it('refuses to start on a missing, mismatched or misnamed file, with one line naming it', async () => {
    const dir = join(ca.dir, `bad-${Date.now()}`);
    mkdirSync(dir);
    const a = ca.issue(['a.test']);
    const b = ca.issue(['b.test']);
    const lonely = join(dir, 'lonely');
    mkdirSync(lonely);
    writeFileSync(join(lonely, 'c.test.crt'), a.cert);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'hello');
    const cases: [Record<string, string>, RegExp][] = [
      [
        { GATEWAY_TLS_CERT: join(dir, 'none.crt'), GATEWAY_TLS_KEY: a.keyPath },
        /^waypost: invalid setting GATEWAY_TLS_CERT: cannot read \S+none\.crt \(ENOENT\)$/,
      ],
      [
        { GATEWAY_TLS_CERT: a.certPath, GATEWAY_TLS_KEY: join(dir, 'none.key') },
        /^waypost: invalid setting GATEWAY_TLS_KEY: cannot read \S+none\.key \(ENOENT\)$/,
      ],
      [
        { GATEWAY_TLS_CERT: a.certPath, GATEWAY_TLS_KEY: b.keyPath },
        /^waypost: invalid setting GATEWAY_TLS_CERT: .* are not a usable certificate and key: .*key values mismatch/,
      ],
      [
        { GATEWAY_TLS_CERT: a.certPath },
        /^waypost: invalid setting GATEWAY_TLS_KEY: must be set with GATEWAY_TLS_CERT$/,
      ],
      [
        { GATEWAY_TLS_DIR: lonely },
        /^waypost: invalid setting GATEWAY_TLS_DIR c\.test\.crt: has no c\.test\.key beside it$/,
      ],
      [
        { GATEWAY_TLS_DIR: join(dir, 'absent') },
        /^waypost: invalid setting GATEWAY_TLS_DIR: cannot read \S+ \(ENOENT\)$/,
      ],
      [
        { GATEWAY_HTTP_REDIRECT_PORT: '0' },
        /^waypost: invalid setting GATEWAY_HTTP_REDIRECT_PORT: needs GATEWAY_TLS_CERT/,
      ],
      [
        { UPSTREAM_CA_FILE: garbage },
        /^waypost: invalid setting UPSTREAM_CA_FILE: \S+ is not a CA bundle: no PEM certificate in it$/,
      ],
    ];
    for (const [env, line] of cases) {
      const { code, output } = await runToExit({ STORE: 'memory', DATA_DIR: dataDir(), ...env });
      expect({ env, code }).toEqual({ env, code: 1 });
      const lines = output.trim().split('\n');
      expect({ env, lines }).toEqual({ env, lines: [expect.stringMatching(line)] });
      expect(output).not.toContain('PRIVATE KEY');
    }
  });
});

describe('https backends', () => {
  let ca: TestCa;
  let backend: ReturnType<typeof createHttpsServer>;
  let backendUrl: string;
  const apps: RunningWaypost[] = [];

  beforeAll(async () => {
    ca = makeTestCa();
    const leaf = ca.issue(['localhost', '127.0.0.1']);
    backend = createHttpsServer({ key: leaf.key, cert: leaf.cert }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, secure: true }));
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    backendUrl = `https://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const app of apps) await app.cleanup();
    await new Promise((resolve) => backend.close(resolve));
    rmSync(ca.dir, { recursive: true, force: true });
  });

  it('verifies an https backend against UPSTREAM_CA_FILE: 502 without it, proxied and health-checked with it', async () => {
    const routes = [{ path: '/secure', backend: backendUrl }];
    const untrusting = await startWaypost({}, { routes });
    apps.push(untrusting);
    const refused = await call('GET', `${untrusting.gateway}/secure`);
    expect(refused.status).toBe(502);

    const trusting = await startWaypost(
      { UPSTREAM_CA_FILE: ca.certPath, HEALTH_CHECK_INTERVAL: '200ms' },
      { routes },
    );
    apps.push(trusting);
    const proxied = await call('GET', `${trusting.gateway}/secure?x=1`);
    expect(proxied.status).toBe(200);
    expect(proxied.body).toEqual({ url: '/secure?x=1', secure: true });

    const registered = await call('POST', `${trusting.admin}/internal/register-service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aServiceRegistration({
        service: 'tls-svc',
        url: backendUrl,
        routes: [{ path: '/tls-svc' }],
      }),
    });
    expect(registered.status).toBe(200);
    const status = async () =>
      (await call('GET', `${trusting.admin}/services/tls-svc`, { headers: bearer(ADMIN_KEY) })).body
        .instances[0].status;
    await waitFor(async () => (await status()) === 'UP', 5_000);
    const routed = await call('GET', `${trusting.gateway}/tls-svc/a`);
    expect(routed.status).toBe(200);
    expect(routed.body.url).toBe('/tls-svc/a');
  });
});
