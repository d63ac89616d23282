/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies and schemas of every shape */
import { aCompatRoute, aServiceRegistration } from '../factories';
import { bearer, call } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

/**
 * Every field of every body-taking endpoint, derived from the OpenAPI document (native and
 * compatibility endpoints) or from a valid body (Consul's agent API), gets each wrong shape: null,
 * each wrong JSON type, control characters, a 20,000-character string, out-of-range numbers, and an
 * unknown key at every depth. Each must be a 4xx naming the field, and leave the registry
 * (instances, routes, the Consul catalog) byte for byte as it was. Shapes that may be valid for a
 * field (an empty string, a lone surrogate, 0, 1.5) must get a 4xx naming it or a 2xx, never a 5xx.
 * The cases are derived, not drawn at random: the same on every run.
 */

type Path = (string | number)[];
interface Field {
  path: Path;
  type?: string;
  /** An object with properties of its own: it gets an unknown key, not wrong values. */
  object: boolean;
  required: boolean;
}
interface Mutation {
  label: string;
  value: unknown;
  /** True: wrong for any field of this type. False: may be valid; only a 5xx is a failure. */
  certain: boolean;
}

const HUGE = 'x'.repeat(20_000);

/** `required`: null is wrong; on an optional field it means absent (JSON APIs' usual reading). */
function mutationsFor(type: string | undefined, required: boolean): Mutation[] {
  const wrong = (values: [string, unknown][]) =>
    values.map(([label, value]) => ({ label, value, certain: true }));
  const maybe = (values: [string, unknown][]) =>
    values.map(([label, value]) => ({ label, value, certain: false }));
  const always = required ? wrong([['null', null]]) : maybe([['null', null]]);
  switch (type) {
    case 'string':
      return [
        ...always,
        ...wrong([
          ['number', 42],
          ['boolean', true],
          ['object', { a: 1 }],
          ['array', ['a']],
          ['NUL', 'a\u0000b'],
          ['control', 'a\u0007\u001bb'],
          ['huge', HUGE],
        ]),
        ...maybe([
          ['empty', ''],
          ['lone surrogate', 'a\ud800b'],
          ['right-to-left override', '\u202eab'],
          ['zero-width', 'a\u200bb'],
        ]),
      ];
    case 'number':
    case 'integer':
      return [
        ...always,
        ...wrong([
          ['word', 'abc'],
          ['boolean', false],
          ['object', { n: 1 }],
          ['array', [1]],
          ['negative', -1],
          ['1e308', 1e308],
          ['beyond 2^53', 2 ** 53 + 2],
        ]),
        ...maybe([
          ['zero', 0],
          ['fraction', 1.5],
        ]),
      ];
    case 'boolean':
      return [
        ...always,
        ...wrong([
          ['string', 'yes'],
          ['number', 1],
          ['object', {}],
          ['array', [true]],
        ]),
      ];
    case 'array':
      return [
        ...always,
        ...wrong([
          ['string', 'a'],
          ['number', 1],
          ['object', { a: 1 }],
        ]),
        ...maybe([['empty', []]]),
      ];
    default:
      return [
        ...always,
        ...wrong([
          ['string', 'a'],
          ['number', 1],
          ['array', [1]],
        ]),
        ...maybe([['empty', {}]]),
      ];
  }
}

function resolveRef(schema: any, doc: any): any {
  let current = schema;
  for (let hops = 0; current?.$ref && hops < 10; hops++)
    current = doc.components.schemas[current.$ref.split('/').pop()];
  if (current?.allOf?.length === 1) return resolveRef(current.allOf[0], doc);
  return current ?? {};
}

/** Every field path of a schema that the valid body reaches (objects' properties, arrays' first item). */
function schemaFields(schema: any, doc: any, body: any, path: Path = []): Field[] {
  const resolved = resolveRef(schema, doc);
  const out: Field[] = [];
  if (resolved.properties) {
    if (path.length > 0) out.push({ path, type: 'object', object: true, required: true });
    const required = new Set<string>(resolved.required ?? []);
    for (const [name, child] of Object.entries<any>(resolved.properties)) {
      const value = body?.[name];
      const needed = required.has(name);
      const childResolved = resolveRef(child, doc);
      const type =
        childResolved.type ??
        (childResolved.properties ? 'object' : child.oneOf ? undefined : undefined);
      if (value === undefined) {
        // Not in the valid body: its type's wrong shapes still apply, set on their own.
        if (type) out.push({ path: [...path, name], type, object: false, required: needed });
        continue;
      }
      if (type === 'array' && Array.isArray(value) && value.length > 0) {
        out.push({ path: [...path, name], type, object: false, required: needed });
        out.push(...schemaFields(childResolved.items, doc, value[0], [...path, name, 0]));
      } else if (childResolved.properties) {
        out.push(...schemaFields(childResolved, doc, value, [...path, name]));
      } else if (type) {
        out.push({ path: [...path, name], type, object: false, required: needed });
      }
    }
  } else if (resolved.type && path.length > 0) {
    out.push({ path, type: resolved.type, object: false, required: true });
  }
  return out;
}

/**
 * Every field path of a valid body, typed by its value (for bodies the OpenAPI document lacks);
 * `required` names the top-level fields that must be there.
 */
function bodyFields(body: any, required: string[], path: Path = []): Field[] {
  const out: Field[] = [];
  for (const [name, value] of Object.entries(body)) {
    const at = [...path, name];
    const needed = path.length === 0 && required.includes(name);
    if (Array.isArray(value)) {
      out.push({ path: at, type: 'array', object: false, required: needed });
      if (value[0] && typeof value[0] === 'object')
        out.push(...bodyFields(value[0], [], [...at, 0]));
    } else if (value !== null && typeof value === 'object') {
      out.push({ path: at, type: 'object', object: false, required: needed });
      out.push(...bodyFields(value, [], at));
    } else out.push({ path: at, type: typeof value, object: false, required: needed });
  }
  return out;
}

function withValue(body: any, path: Path, value: unknown): any {
  const copy = structuredClone(body);
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key];
  target[path[path.length - 1]] = value;
  return copy;
}

function withExtraKey(body: any, path: Path): any {
  const copy = structuredClone(body);
  let target = copy;
  for (const key of path) target = target[key];
  target.fuzzExtra = 1;
  return copy;
}

describe('fuzzed input, derived from the OpenAPI document and valid bodies', () => {
  let wp: RunningWaypost;
  let doc: any;
  let instanceId: string;
  let instanceToken: string;
  const key = bearer(REGISTRATION_KEY);
  const failures: string[] = [];

  const registryNow = async () =>
    [
      (await call('GET', `${wp.admin}/services`, { headers: bearer(ADMIN_KEY) })).text,
      (await call('GET', `${wp.admin}/services/fuzz`, { headers: bearer(ADMIN_KEY) })).text,
      (await call('GET', `${wp.admin}/routes`, { headers: key })).text,
      (
        await call('GET', `${wp.admin}/v1/catalog/services`, {
          headers: { 'x-consul-token': ADMIN_KEY },
        })
      ).text,
    ].join('\n');

  beforeAll(async () => {
    wp = await startWaypost({}, {});
    doc = (await call('GET', `${wp.admin}/docs-json`)).body;
    const base = await call('POST', `${wp.admin}/service`, {
      headers: key,
      body: { serviceType: 'fuzz', port: 3000, host: '127.0.0.1', healthCheck: { type: 'none' } },
    });
    instanceId = base.body.serviceId;
    instanceToken = base.body.token;
  });

  afterAll(async () => {
    await wp.cleanup();
  });

  interface Endpoint {
    name: string;
    method: string;
    path: () => string;
    headers: () => Record<string, string>;
    body: any;
    /** The OpenAPI operation whose request schema lists the fields; null: the body's own keys. */
    operation: { path: string; method: string } | null;
    /** Wrong keys are refused (class-validator's whitelist); Consul's API ignores unknown keys. */
    strictKeys: boolean;
    numericDurations?: boolean;
    /** How a valid body's effect is undone, so the next case starts from the same registry. */
    undo: (answer: any) => Promise<void>;
  }

  const route = {
    path: '/fz',
    methods: ['GET'],
    timeout: '5s',
    strip_prefix: true,
    load_balancer: 'round_robin',
    rate_limit: { enabled: true, requests_per_min: 100, per_ip: true },
    circuit_breaker: { enabled: true, failure_threshold: 5, timeout: '30s' },
    retry: { enabled: true, max_attempts: 2, backoff: 'fixed' },
    cors: { origins: ['https://app.example.com'], credentials: true, max_age: 60 },
    request_headers: { set: { 'x-a': 'b' }, remove: ['x-b'] },
    rewrite: { pattern: '^/a/(.*)$', replacement: '/b/$1' },
    max_body_size: 1024,
    allow_from: ['10.0.0.0/8'],
    compression: { min_size: 1024 },
  };
  const undoInstance = async (answer: any) => {
    const id = answer?.serviceId;
    if (id && id !== instanceId)
      await call('DELETE', `${wp.admin}/service/${id}`, { headers: bearer(ADMIN_KEY) });
  };
  const endpoints = (): Endpoint[] => [
    {
      name: 'POST /service',
      method: 'POST',
      path: () => '/service',
      headers: () => key,
      body: {
        serviceType: 'fuzz-new',
        port: 3001,
        host: '127.0.0.1',
        healthCheck: { type: 'http', path: '/health', interval: '10s', timeout: '2s' },
        metadata: { a: 'b' },
        tags: ['t'],
        version: '1.0.0',
        zone: 'z1',
        weight: 2,
        routes: [route],
      },
      operation: { path: '/service', method: 'post' },
      strictKeys: true,
      undo: undoInstance,
    },
    {
      name: 'PATCH /service/:id',
      method: 'PATCH',
      path: () => `/service/${instanceId}`,
      headers: () => ({ 'x-service-id': instanceId, 'x-service-token': instanceToken }),
      body: { status: 'MAINTENANCE', metadata: { a: 'b' }, weight: 3 },
      operation: { path: '/service/{id}', method: 'patch' },
      strictKeys: true,
      undo: async () => {
        await call('PATCH', `${wp.admin}/service/${instanceId}`, {
          headers: { 'x-service-id': instanceId, 'x-service-token': instanceToken },
          body: { status: 'UP', metadata: {}, weight: 1 },
        });
      },
    },
    {
      name: 'POST /register',
      method: 'POST',
      path: () => '/register',
      headers: () => key,
      body: aCompatRoute({
        host: 'fuzz.example.com',
        path: '/fz',
        options: { timeout: 5000, headers: { 'x-a': 'b' }, strip_prefix: true },
      }),
      operation: { path: '/register', method: 'post' },
      strictKeys: true,
      undo: async () => {
        await call('POST', `${wp.admin}/deregister`, {
          headers: key,
          body: { host: 'fuzz.example.com', path: '/fz' },
        });
      },
    },
    {
      name: 'POST /deregister',
      method: 'POST',
      path: () => '/deregister',
      headers: () => key,
      body: { host: 'nothing.example.com', path: '/none' },
      operation: { path: '/deregister', method: 'post' },
      strictKeys: true,
      undo: async () => undefined,
    },
    {
      name: 'POST /internal/register-service',
      method: 'POST',
      path: () => '/internal/register-service',
      headers: () => key,
      body: aServiceRegistration({
        service: 'fuzz-internal',
        routes: [{ method: 'GET', path: '/api/fz/*', timeout: '5s', cors: route.cors }],
      }),
      operation: { path: '/internal/register-service', method: 'post' },
      strictKeys: true,
      undo: undoInstance,
    },
    {
      name: 'PUT /v1/agent/service/register',
      method: 'PUT',
      path: () => '/v1/agent/service/register',
      headers: () => ({ 'x-consul-token': ADMIN_KEY }),
      body: {
        ID: 'fuzz-consul-1',
        Name: 'fuzz-consul',
        Address: '127.0.0.1',
        Port: 8080,
        Tags: ['a'],
        Meta: { k: 'v' },
        Check: { HTTP: 'http://127.0.0.1:8080/health', Interval: '10s', Timeout: '1s' },
      },
      operation: null,
      strictKeys: false,
      numericDurations: true,
      undo: async () => {
        await call('PUT', `${wp.admin}/v1/agent/service/deregister/fuzz-consul-1`, {
          headers: { 'x-consul-token': ADMIN_KEY },
        });
      },
    },
  ];

  it.each(endpoints().map((e) => [e.name, e] as const))(
    '%s',
    async (_name, endpoint) => {
      // The valid body is valid: without that every refusal below would prove nothing.
      const valid = await call(endpoint.method, `${wp.admin}${endpoint.path()}`, {
        headers: endpoint.headers(),
        body: endpoint.body,
      });
      expect({ status: valid.status < 300 || valid.status === 404 }).toEqual({ status: true });
      await endpoint.undo(valid.body);

      const operation = endpoint.operation;
      const fields = operation
        ? schemaFields(
            doc.paths[operation.path][operation.method].requestBody.content['application/json']
              .schema,
            doc,
            endpoint.body,
          )
        : bodyFields(endpoint.body, ['Name']);
      expect(fields.length).toBeGreaterThanOrEqual(2);
      // The body itself is an object that takes no unknown key, as each nested one.
      fields.unshift({ path: [], type: 'object', object: true, required: true });
      let cases = 0;
      for (const field of fields) {
        const dotted = field.path.join('.');
        const named = field.path.filter((p) => typeof p === 'string').join('.');
        const shapes: { label: string; body: any; certain: boolean }[] = field.object
          ? []
          : mutationsFor(field.type, field.required).map((m) => ({
              label: m.label,
              body: withValue(endpoint.body, field.path, m.value),
              // Consul's durations may be numbers (nanoseconds), as Go's decoder takes them.
              certain:
                m.certain &&
                !(
                  endpoint.numericDurations &&
                  /Interval|Timeout/.test(dotted) &&
                  m.label === 'number'
                ),
            }));
        if (endpoint.strictKeys && field.object)
          shapes.push({
            label: 'unknown key',
            body: withExtraKey(endpoint.body, field.path),
            certain: true,
          });
        for (const shape of shapes) {
          cases++;
          const before = await registryNow();
          const answer = await call(endpoint.method, `${wp.admin}${endpoint.path()}`, {
            headers: endpoint.headers(),
            body: shape.body,
          });
          const where = `${endpoint.name} ${dotted} = ${shape.label}`;
          if (answer.status >= 500) {
            failures.push(`${where}: ${answer.status} ${answer.text.slice(0, 200)}`);
            continue;
          }
          if (answer.status < 300) {
            if (shape.certain) failures.push(`${where}: accepted (${answer.status})`);
            await endpoint.undo(answer.body);
            continue;
          }
          const text = answer.text;
          const expectedName = shape.label === 'unknown key' ? 'fuzzExtra' : field.path.at(-1);
          if (
            !text.includes(String(expectedName)) &&
            !text.includes(dotted) &&
            !(named && text.includes(named.split('.').at(-1) as string))
          )
            failures.push(
              `${where}: ${answer.status} does not name the field: ${text.slice(0, 200)}`,
            );
          if (endpoint.strictKeys && !/^\{/.test(text))
            failures.push(`${where}: not JSON: ${text.slice(0, 100)}`);
          if ((await registryNow()) !== before) failures.push(`${where}: the registry changed`);
        }
      }
      process.stdout.write(`fuzz ${endpoint.name}: ${fields.length} fields, ${cases} cases\n`);
      expect(cases).toBeGreaterThan(20);
      expect(failures).toEqual([]);
    },
    120_000,
  );
});
