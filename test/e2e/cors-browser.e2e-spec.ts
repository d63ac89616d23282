import { existsSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Browser, chromium, Page } from 'playwright-core';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { RunningWaypost, startWaypost } from './helpers/start-waypost';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Debian's chromium and asks for it: there a missing browser fails the suite.
const suite =
  existsSync(CHROMIUM) || process.env.REQUIRE_CHROMIUM === '1' ? describe : describe.skip;

/** A page server: one empty HTML page, so that scripts run on its origin. */
function startPageServer(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>app</title>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const originOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** CORS as a browser does it: Chromium's own preflight and its own verdict on the answers. */
suite('CORS in Chromium', () => {
  let wp: RunningWaypost;
  let backend: EchoBackend;
  let allowedSite: Server;
  let otherSite: Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    backend = await startEchoBackend('api');
    allowedSite = await startPageServer();
    otherSite = await startPageServer();
    wp = await startWaypost(
      {},
      {
        routes: [
          {
            path: '/api',
            backend: backend.url,
            methods: ['GET', 'PUT'],
            cors: {
              origins: [originOf(allowedSite)],
              credentials: true,
              expose_headers: ['X-Backend'],
              max_age: 0,
            },
          },
        ],
      },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await wp?.cleanup();
    await backend?.close();
    await new Promise((resolve) => allowedSite?.close(resolve));
    await new Promise((resolve) => otherSite?.close(resolve));
  });

  /** Runs fetch in the page: what the page's script sees, or the browser's refusal. */
  const fetchFromPage = (url: string) =>
    page.evaluate(async (target) => {
      try {
        const answer = await fetch(target, {
          method: 'PUT',
          credentials: 'include',
          headers: { 'content-type': 'application/json', 'x-token': 'abc' },
          body: '{"n":1}',
        });
        return {
          status: answer.status,
          backend: answer.headers.get('x-backend'),
          body: await answer.text(),
        };
      } catch (error) {
        return { refused: String(error) };
      }
    }, url);

  it('lets a page of an allowed origin call the route, after a preflight the gateway answers', async () => {
    await page.goto(originOf(allowedSite));
    const mark = backend.seen.length;
    const result = await fetchFromPage(`${wp.gateway}/api/items`);
    expect(result).toMatchObject({ status: 200, backend: 'api' });
    // The backend got the PUT and never the preflight.
    expect(backend.seen.slice(mark).map((s) => s.method)).toEqual(['PUT']);
    expect(backend.seen[mark].headers.origin).toBe(originOf(allowedSite));
  });

  it('keeps a page of another origin out: the browser refuses it, and the backend never hears of it', async () => {
    await page.goto(originOf(otherSite));
    const mark = backend.seen.length;
    const result = await fetchFromPage(`${wp.gateway}/api/items`);
    expect(result).toEqual({ refused: expect.stringContaining('Failed to fetch') });
    expect(backend.seen.slice(mark)).toEqual([]);
  });
});
