import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ConfigRouteDto } from '../config/config-route.dto';
import { ExplainQueryDto } from '../proxy/explain.query.dto';
import { CompatDeregisterDto, CompatRegisterDto } from '../registry/dto/compat-register.dto';
import { ListInstancesQueryDto } from '../registry/dto/list-instances.query.dto';
import { PatchInstanceDto } from '../registry/dto/patch-instance.dto';
import { RegisterInstanceDto } from '../registry/dto/register-instance.dto';
import { RegisterServiceDto } from '../registry/dto/register-service.dto';
import { EventsQueryDto } from '../watch/events.query.dto';
import { PIPE_VALIDATOR_OPTIONS } from './validation';
import { verdictOf } from './validation-plan';

const fullRoute = {
  path: '/api/orders/*',
  methods: ['GET', 'POST'],
  host: '*.example.com',
  timeout: '2s',
  websocket: false,
  headers: { 'X-Team': 'orders' },
  rate_limit: { enabled: true, requests_per_min: 100, per_ip: true },
  circuit_breaker: { enabled: true, failure_threshold: 5, timeout: '30s' },
  retry: { enabled: true, max_attempts: 2, backoff: 'exponential' },
  strip_prefix: true,
  load_balancer: 'round_robin',
  permission: 'orders:read',
  cors: { origins: ['https://app.example.com'], methods: ['GET'], credentials: true },
  request_headers: { set: { 'X-A': '1' }, add: { 'X-B': '2' }, remove: ['X-C'] },
  response_headers: { remove: ['Server'] },
  rewrite: { pattern: '^/api/(.*)$', replacement: '/$1' },
  max_body_size: '1mb',
  allow_from: ['10.0.0.0/8'],
  compression: { types: ['application/json'] },
};

/** A valid value of each DTO the admin API takes, with nesting where the DTO has it. */
const SAMPLES: [new () => object, Record<string, unknown>][] = [
  [
    RegisterInstanceDto,
    {
      serviceType: 'orders',
      host: '10.0.0.7',
      port: '3000',
      healthCheck: { type: 'http', path: '/health', interval: '5s', timeout: 500 },
      metadata: { commit: 'a1b2' },
      tags: ['blue', 'eu'],
      version: '1.4.2',
      zone: 'eu-west-1a',
      weight: 3,
      routes: [fullRoute, { path: '/b', method: 'GET', compression: false }],
    },
  ],
  [RegisterInstanceDto, { serviceType: 'orders', url: 'https://orders.internal:8443/' }],
  [
    RegisterServiceDto,
    {
      service: 'sagjan',
      url: 'http://127.0.0.1:7812',
      health_endpoint: '/health',
      routes: [{ method: 'GET', path: '/api/comments/*', permission: 'comments:read' }],
    },
  ],
  [CompatRegisterDto, { host: 'api.example.com', path: '/v2', backend: 'http://127.0.0.1:9000' }],
  [CompatDeregisterDto, { host: 'api.example.com', path: '/v2' }],
  [PatchInstanceDto, { status: 'MAINTENANCE', metadata: { a: 'b' }, weight: 2 }],
  [ListInstancesQueryDto, { status: 'UP', tag: 'blue', zone: 'eu', index: '12', wait: '5s' }],
  [EventsQueryDto, { checks: 'true' }],
  [ExplainQueryDto, { method: 'GET', host: 'api.example.com', path: '/v2/x' }],
  [ConfigRouteDto, { ...fullRoute, service: 'orders' }],
];

/** Wrong shapes put in place of a field: each JSON type, edges of strings and numbers. */
const WRONG: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  '',
  'x'.repeat(3_000),
  'a\u0000b',
  '\ud800',
  [],
  [null],
  ['x', 1],
  {},
  { unknown: 1 },
];

/** Every value reachable from `sample` with one field replaced, one key added, or one key removed. */
function* variants(sample: unknown): Generator<unknown> {
  if (Array.isArray(sample)) {
    for (const [i, item] of sample.entries()) {
      for (const inner of variants(item)) yield sample.map((other, k) => (k === i ? inner : other));
    }
    return;
  }
  if (sample === null || typeof sample !== 'object') return;
  const object = sample as Record<string, unknown>;
  yield { ...object, notAField: 1 };
  for (const key of Object.keys(object)) {
    const original = object[key];
    const { [key]: _gone, ...without } = object;
    yield without;
    for (const wrong of WRONG) yield { ...object, [key]: wrong };
    for (const inner of variants(original)) yield { ...object, [key]: inner };
  }
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe('the validation plan', () => {
  it.each(SAMPLES.map(([dto, sample]) => [dto.name, dto, sample] as const))(
    'agrees with class-validator on %s and every variant of it',
    (_name, dto, sample) => {
      const base = validateSync(
        plainToInstance(dto, clone(sample)) as object,
        PIPE_VALIDATOR_OPTIONS,
      );
      expect(base).toEqual([]);
      let valid = 0;
      let invalid = 0;
      for (const value of [sample, ...variants(clone(sample))]) {
        const instance = plainToInstance(dto, clone(value)) as object;
        const errors = validateSync(instance, PIPE_VALIDATOR_OPTIONS);
        const verdict = verdictOf(instance);
        if (verdict !== (errors.length === 0)) {
          throw new Error(
            `plan says ${verdict}, class-validator ${JSON.stringify(errors)} for ${JSON.stringify(value)}`,
          );
        }
        if (verdict) valid++;
        else invalid++;
      }
      // The corpus holds both kinds, so agreement is not agreement on one answer.
      expect(valid).toBeGreaterThan(0);
      expect(invalid).toBeGreaterThan(10);
    },
  );

  it('refuses an object of a class without rules, and an unknown key at any depth', () => {
    class NoRules {}
    expect(verdictOf(new NoRules())).toBe(false);
    const nested = plainToInstance(RegisterInstanceDto, {
      serviceType: 'a',
      port: 1,
      healthCheck: { type: 'none', extra: true },
    });
    expect(verdictOf(nested)).toBe(false);
    // No class to look rules up for: class-validator decides.
    expect(verdictOf(Object.create(null) as object)).toBeNull();
  });
});
