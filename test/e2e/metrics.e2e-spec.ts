import { spawnSync } from 'node:child_process';
import { aRegistration } from '../factories';
import { EchoBackend, startEchoBackend } from './helpers/echo-backend';
import { waitFor } from './helpers/fake-service';
import { bearer, call, send } from './helpers/http';
import { HAVE_PROMETHEUS, RunningPrometheus, startPrometheus } from './helpers/prometheus';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

const METRICS_TOKEN = 'scraper-token-0123456789abcdef';
// CI installs Prometheus and asks for it: there a missing binary fails the suite instead of
// skipping it.
const suite = HAVE_PROMETHEUS || process.env.REQUIRE_PROMETHEUS === '1' ? describe : describe.skip;

/** `/metrics` as Debian's Prometheus scrapes it, read back through Prometheus' own query API. */
suite('metrics scraped by a real Prometheus', () => {
  let wp: RunningWaypost;
  let echo: EchoBackend;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    echo = await startEchoBackend('echo');
    wp = await startWaypost({ METRICS_TOKEN }, { routes: [{ path: '/echo', backend: echo.url }] });
    // A registered route to a port nothing listens on: every request is refused upstream.
    const registered = await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aRegistration({ serviceType: 'gone', port: 9, routes: [{ path: '/gone' }] }),
    });
    expect(registered.status).toBe(201);
    for (let i = 0; i < 5; i++)
      expect((await send('GET', `${wp.gateway}/echo/${i}`)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await send('GET', `${wp.gateway}/gone`)).status).toBe(502);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await wp?.cleanup();
    await echo?.close();
  });

  it('opens /metrics to the admin key and METRICS_TOKEN only, and the token opens nothing else', async () => {
    expect((await call('GET', `${wp.admin}/metrics`)).status).toBe(401);
    expect(
      (await call('GET', `${wp.admin}/metrics`, { headers: bearer(REGISTRATION_KEY) })).status,
    ).toBe(401);
    const scraped = await call('GET', `${wp.admin}/metrics`, { headers: bearer(METRICS_TOKEN) });
    expect(scraped.status).toBe(200);
    expect(scraped.text).not.toContain(METRICS_TOKEN);
    expect(
      (await call('GET', `${wp.admin}/services`, { headers: bearer(METRICS_TOKEN) })).status,
    ).toBe(401);
  });

  it('passes promtool check metrics', async () => {
    const { text } = await call('GET', `${wp.admin}/metrics`, { headers: bearer(ADMIN_KEY) });
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('is scraped with METRICS_TOKEN, refused with a wrong token, and reads back by route id', async () => {
    const target = wp.admin.replace('http://', '');
    prometheus = await startPrometheus([
      { name: 'waypost', target, bearer: METRICS_TOKEN },
      { name: 'wrong', target, bearer: 'not-the-token-0123456789' },
    ]);
    const value = async (expr: string) => (await prometheus.query(expr))[0]?.value;
    await waitFor(async () => (await value('up{job="waypost"}')) === 1, 15_000, 250);
    await waitFor(async () => (await value('up{job="wrong"}')) === 0, 15_000, 250);

    expect(
      await value('waypost_gateway_requests_total{job="waypost",route="config-0",code="200"}'),
    ).toBe(5);
    expect(
      await value('waypost_gateway_request_duration_seconds_count{job="waypost",route="config-0"}'),
    ).toBe(5);
    const quantile = await value(
      'histogram_quantile(0.99, waypost_gateway_request_duration_seconds_bucket{job="waypost",route="config-0"})',
    );
    expect(quantile).toBeGreaterThan(0);
    expect(quantile).toBeLessThan(1);
    const refused = await prometheus.query(
      'waypost_upstream_errors_total{job="waypost",kind="refused"}',
    );
    expect(refused).toHaveLength(1);
    expect(refused[0].metric.route).toMatch(/.+/);
    expect(refused[0].value).toBe(3);
    expect(
      await value(
        `waypost_gateway_requests_total{job="waypost",route="${refused[0].metric.route}",code="502"}`,
      ),
    ).toBe(3);
    expect(await value('waypost_instances{job="waypost",service="gone",status="UP"}')).toBe(1);
    expect(await value('waypost_routes{job="waypost"}')).toBe(2);
    expect(await value('waypost_registry_changes_total{job="waypost",op="register"}')).toBe(1);
    expect(await value('waypost_watchers{job="waypost"}')).toBe(0);
    expect(await value('process_resident_memory_bytes{job="waypost"}')).toBeGreaterThan(1e6);
  });
});
