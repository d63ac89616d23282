import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { aRegistration } from '../factories';
import { FakeService, startFakeService, waitFor } from './helpers/fake-service';
import { bearer, call } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Debian's chromium and asks for it: there a missing browser fails the suite.
const suite =
  existsSync(CHROMIUM) || process.env.REQUIRE_CHROMIUM === '1' ? describe : describe.skip;
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const HOSTILE_VERSION = '<img src=x onerror="window.__xss=1">';
const HOSTILE_ZONE = '<script>window.__xss=2</script>';

// The browser's globals, as the functions given to page.evaluate see them (this project compiles
// without the DOM lib, and only these few are read).
declare const localStorage: Record<string, string>;
declare const sessionStorage: { getItem(key: string): string | null };
declare const document: { cookie: string };
declare const window: { __xss?: number };

/** The dashboard in Debian's headless Chromium, against the real app and real backends. */
suite('dashboard in Chromium', () => {
  let wp: RunningWaypost;
  let shop: FakeService;
  let browser: Browser;
  let page: Page;
  const violations: string[] = [];
  const register = async (body: Record<string, unknown>) => {
    const answer = await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body,
    });
    expect(answer.status).toBe(201);
    return answer.body as { serviceId: string };
  };
  const statusOf = (id: string) => page.locator(`tr[data-instance="${id}"] .status`);

  beforeAll(async () => {
    shop = await startFakeService();
    wp = await startWaypost({
      HEALTH_CHECK_INTERVAL: '200ms',
      DOWN_CHECK_INTERVAL: '200ms',
      UNHEALTHY_THRESHOLD: '1',
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()))
        violations.push(message.text());
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await wp?.cleanup();
    await shop?.close();
  });

  it('is served with a strict Content-Security-Policy and loads nothing from outside', async () => {
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(wp.admin)) outside.push(request.url());
    });
    const response = await page.goto(`${wp.admin}/ui`);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(outside).toEqual([]);
  });

  it('refuses a wrong key and signs in with the admin key, which goes in no URL and no localStorage', async () => {
    const { serviceId } = await register(
      aRegistration({
        serviceType: 'shop',
        port: shop.port,
        healthCheck: { type: 'http', path: '/health' },
      }),
    );
    await page.fill('#admin-key', 'not-the-admin-key-0123456789');
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#sign-in-error:has-text("not the admin key")');
    expect(await page.isVisible('#board')).toBe(false);

    await page.fill('#admin-key', ADMIN_KEY);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#board', { state: 'visible' });
    await page.waitForSelector('.live.on');
    await waitFor(async () => (await statusOf(serviceId).textContent()) === 'UP', 5_000, 50);
    expect(page.url()).not.toContain(ADMIN_KEY);
    const storage = await page.evaluate(() => ({
      local: JSON.stringify(localStorage),
      session: sessionStorage.getItem('waypost.adminKey'),
      cookies: document.cookie,
    }));
    expect(storage).toEqual({ local: '{}', session: ADMIN_KEY, cookies: '' });
  });

  it('shows a new registration within 1 s, without a reload', async () => {
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    const started = Date.now();
    const { serviceId } = await register(
      aRegistration({ serviceType: 'billing', port: shop.port }),
    );
    await page.waitForSelector(`tr[data-instance="${serviceId}"]`, { timeout: 1_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await page.textContent('[data-service="billing"] h3')).toContain('billing');
    expect(navigations).toEqual([]);
  });

  it('turns an instance DOWN when its backend stops, with the failure on its timeline', async () => {
    const down = await startFakeService();
    const { serviceId } = await register(
      aRegistration({
        serviceType: 'orders',
        port: down.port,
        healthCheck: { type: 'http', path: '/health' },
      }),
    );
    await waitFor(async () => (await statusOf(serviceId).textContent()) === 'UP', 5_000, 50);
    await down.close();
    await waitFor(async () => (await statusOf(serviceId).textContent()) === 'DOWN', 5_000, 50);
    await page.click(`tr[data-instance="${serviceId}"] summary`);
    await page.waitForSelector(
      `tr[data-instance="${serviceId}"] .timeline li:has-text("UP → DOWN")`,
    );
  });

  it('explains a request', async () => {
    const { serviceId } = await register(
      aRegistration({ serviceType: 'catalog', port: shop.port, routes: [{ path: '/catalog' }] }),
    );
    await page.fill('#explain-host', 'shop.example.com');
    await page.fill('#explain-path', '/catalog/items/7');
    await page.click('#explain-form button[type=submit]');
    const verdict = page.locator('#explanation .verdict');
    await verdict.waitFor();
    expect(await verdict.textContent()).toContain('answer 200');
    expect(await verdict.textContent()).toContain(`next instance ${serviceId}`);
  });

  it('drains and undrains an instance through the API’s own guards', async () => {
    const { serviceId } = await register(
      aRegistration({ serviceType: 'drainme', port: shop.port }),
    );
    const row = `tr[data-instance="${serviceId}"]`;
    await page.click(`${row} button.drain`);
    await waitFor(
      async () => (await statusOf(serviceId).textContent()) === 'MAINTENANCE',
      3_000,
      50,
    );
    const stored = await call('GET', `${wp.admin}/service/${serviceId}`, {
      headers: bearer(ADMIN_KEY),
    });
    expect(stored.body.status).toBe('MAINTENANCE');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await page.click(`${row} button.undrain`);
    await waitFor(async () => (await statusOf(serviceId).textContent()) === 'UP', 3_000, 50);
  });

  it('shows markup from the registry as text and never runs it', async () => {
    const refused = await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aRegistration({ serviceType: '<img src=x onerror=alert(1)>' }),
    });
    expect(refused.status).toBe(400);
    const { serviceId } = await register(
      aRegistration({
        serviceType: 'hostile',
        port: shop.port,
        version: HOSTILE_VERSION,
        zone: HOSTILE_ZONE,
      }),
    );
    const row = page.locator(`tr[data-instance="${serviceId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(HOSTILE_VERSION);
    expect(await row.textContent()).toContain(HOSTILE_ZONE);
    expect(await row.locator('img, script').count()).toBe(0);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    expect(violations).toEqual([]);
  });

  it('signs out and forgets the key', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in', { state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.getItem('waypost.adminKey'))).toBeNull();
  });
});
