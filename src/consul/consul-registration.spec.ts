import { AppError } from '../common/errors/app-error';
import { waitOf } from './blocking-query';
import { consulRegistration } from './consul-registration';
import { parseGoDuration } from './go-duration';

describe('parseGoDuration', () => {
  it("reads Go durations as Consul's clients write them", () => {
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('120000ms')).toBe(120_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('250')).toBe(250);
  });

  it('answers null for anything else', () => {
    for (const bad of ['', '10x', 's', '-1s', '1m 30s', 'x'.repeat(40), {}]) {
      expect(parseGoDuration(bad)).toBeNull();
    }
  });
});

describe('waitOf', () => {
  it('defaults to 5m, caps at 10m, and adds at most wait/16 of jitter', () => {
    expect(waitOf(undefined, () => 0)).toBe(300_000);
    expect(waitOf('30s', () => 0)).toBe(30_000);
    expect(waitOf('30s', () => 0.999)).toBeLessThan(30_000 + 30_000 / 16);
    expect(waitOf('1h', () => 0)).toBe(600_000);
  });
});

describe('consulRegistration', () => {
  const at = '10.0.0.9';

  it('maps Name, ID, Address, Port, Tags, Meta and checks, whatever the case of the keys', () => {
    const input = consulRegistration(
      {
        name: 'web',
        ID: 'web-1',
        address: '10.0.0.1',
        Port: 8080,
        tags: ['a'],
        meta: { team: 'x' },
        Checks: [
          { HTTP: 'http://10.0.0.1:8080/health', Interval: '10s', timeout: '1s' },
          { check_id: 'mem', ttl: '30s', deregister_critical_service_after: '1m30s' },
        ],
      },
      at,
    );
    expect(input).toMatchObject({
      serviceType: 'web',
      id: 'web-1',
      host: '10.0.0.1',
      port: 8080,
      url: 'http://10.0.0.1:8080',
      tags: ['a'],
      metadata: { team: 'x' },
      origin: 'consul',
      deregisterAfter: 90_000,
      healthCheck: { type: 'http', path: '/health', interval: 10_000, timeout: 1_000 },
    });
    expect(input.checks).toEqual([
      expect.objectContaining({ id: null, type: 'http', target: 'http://10.0.0.1:8080/health' }),
      expect.objectContaining({ id: 'mem', type: 'ttl', ttl: 30_000 }),
    ]);
  });

  it('takes the ID from the Name and the address from the caller when they are absent', () => {
    expect(consulRegistration({ Name: 'db' }, at)).toMatchObject({
      id: 'db',
      host: at,
      port: 0,
      checks: [],
      healthCheck: { type: 'none' },
    });
  });

  it.each([
    [{}, /Name/],
    [{ Name: 'a/b' }, /Name/],
    [{ Name: 'a', ID: 'x/y' }, /ID/],
    [{ Name: 'a', Port: '80' }, /Port/],
    [{ Name: 'a', Port: 70000 }, /Port/],
    [{ Name: 'a', Meta: { n: 1 } }, /Meta/],
    [{ Name: 'a', Check: { Script: 'x', Interval: '1s' } }, /only HTTP, TCP and TTL/],
    [{ Name: 'a', Check: { HTTP: 'ftp://x', Interval: '1s' } }, /HTTP/],
    [{ Name: 'a', Check: { HTTP: 'http://x/' } }, /Interval is required/],
    [{ Name: 'a', Check: { TCP: 'nohost', Interval: '1s' } }, /TCP/],
    [{ Name: 'a', Check: { TTL: '1 minute' } }, /TTL/],
    [{ Name: 'a', Check: { TTL: '10s', Status: 'ok' } }, /Status/],
  ])('refuses %j, naming the field', (body, message) => {
    let thrown: unknown;
    try {
      consulRegistration(body, at);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).message).toMatch(message);
  });
});
