import { GATEWAY_BUCKETS } from '../telemetry/buckets';
import { bucketOf } from '../telemetry/gateway-series';
import { Telemetry } from '../telemetry/telemetry';
import { RouteMeter } from './route-meter';

describe('RouteMeter', () => {
  const seriesOf = async (telemetry: Telemetry) =>
    (await telemetry.registry.metrics())
      .split('\n')
      .filter((line) => /^waypost_(gateway|upstream)/.test(line));

  it('counts answers by route id and code, times them, and names upstream failures by kind', async () => {
    const telemetry = new Telemetry();
    const meter = new RouteMeter(telemetry, 'r-users');
    const started = performance.now();
    meter.answered(200, started);
    meter.answered(200, started);
    meter.answered(502, started);
    meter.upstreamFailed('refused');
    const series = await seriesOf(telemetry);
    expect(series).toContain('waypost_gateway_requests_total{route="r-users",code="200"} 2');
    expect(series).toContain('waypost_gateway_requests_total{route="r-users",code="502"} 1');
    expect(series).toContain('waypost_upstream_errors_total{route="r-users",kind="refused"} 1');
    expect(series).toContain('waypost_gateway_request_duration_seconds_count{route="r-users"} 3');
    expect(series).toContain(
      'waypost_gateway_request_duration_seconds_bucket{le="30",route="r-users"} 3',
    );
  });

  it('leaves no series behind once its route retires', async () => {
    const telemetry = new Telemetry();
    const kept = new RouteMeter(telemetry, 'kept');
    const gone = new RouteMeter(telemetry, 'gone');
    kept.answered(200, performance.now());
    gone.answered(404, performance.now());
    gone.upstreamFailed('timeout');
    gone.retire();
    const series = await seriesOf(telemetry);
    expect(series.some((line) => line.includes('route="gone"'))).toBe(false);
    expect(series).toContain('waypost_gateway_requests_total{route="kept",code="200"} 1');
  });

  it('has no series for a route nobody has called yet', async () => {
    const telemetry = new Telemetry();
    new RouteMeter(telemetry, 'idle');
    expect((await seriesOf(telemetry)).some((line) => line.includes('route="idle"'))).toBe(false);
  });

  it('puts a duration in the first bucket whose bound it does not exceed, else +Inf', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.0005)).toBe(0);
    expect(bucketOf(0.0006)).toBe(1);
    expect(bucketOf(30)).toBe(GATEWAY_BUCKETS.length - 1);
    expect(bucketOf(31)).toBe(GATEWAY_BUCKETS.length);
  });
});
