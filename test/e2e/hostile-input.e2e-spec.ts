import { request as httpRequest } from 'node:http';
import { aCompatRoute, aRegistration, aServiceRegistration } from '../factories';
import { bearer, call } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

type Case = [
  name: string,
  method: string,
  path: string,
  body: string | Record<string, unknown> | undefined,
  status: number,
  field?: string,
];

const reg = (overrides: Record<string, unknown>) =>
  aRegistration({ serviceType: 'hostile', ...overrides });
const internal = (overrides: Record<string, unknown>) =>
  aServiceRegistration({ service: 'hostile-int', ...overrides });
const compat = (overrides: Record<string, unknown>) =>
  aCompatRoute({ host: 'hostile.example.com', ...overrides });

const CASES: Case[] = [
  ['malformed JSON', 'POST', '/service', '{"serviceType": "a",', 400],
  ['empty JSON body', 'POST', '/service', '', 400],
  ['JSON array body', 'POST', '/service', '[{"serviceType":"a","port":1}]', 400],
  ['JSON string body', 'POST', '/service', '"hello"', 400],
  [
    '__proto__ key',
    'POST',
    '/service',
    '{"serviceType":"a","port":1,"__proto__":{"isAdmin":true}}',
    400,
  ],
  [
    'constructor.prototype key',
    'POST',
    '/service',
    '{"serviceType":"a","port":1,"constructor":{"prototype":{"x":1}}}',
    400,
  ],
  [
    'deep nesting',
    'POST',
    '/service',
    `{"serviceType":"a","port":1,"metadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    400,
  ],
  ['unknown field', 'POST', '/service', reg({ admin: true }), 400, 'admin'],
  [
    'unknown nested field',
    'POST',
    '/service',
    reg({ healthCheck: { type: 'http', command: 'rm -rf /' } }),
    400,
    'healthCheck.command',
  ],
  ['port 0', 'POST', '/service', reg({ port: 0 }), 400, 'port'],
  ['port 70000', 'POST', '/service', reg({ port: 70000 }), 400, 'port'],
  ['port as words', 'POST', '/service', reg({ port: 'eighty' }), 400, 'port'],
  ['port as float', 'POST', '/service', reg({ port: 80.5 }), 400, 'port'],
  ['serviceType wrong type', 'POST', '/service', reg({ serviceType: 42 }), 400, 'serviceType'],
  [
    'serviceType with slash',
    'POST',
    '/service',
    reg({ serviceType: '../etc' }),
    400,
    'serviceType',
  ],
  [
    'serviceType too long',
    'POST',
    '/service',
    reg({ serviceType: 'a'.repeat(65) }),
    400,
    'serviceType',
  ],
  [
    'CRLF in version',
    'POST',
    '/service',
    reg({ version: '1.0\r\nSet-Cookie: x=1' }),
    400,
    'version',
  ],
  ['CRLF in metadata', 'POST', '/service', reg({ metadata: { a: 'b\r\nc' } }), 400, 'metadata'],
  ['metadata not strings', 'POST', '/service', reg({ metadata: { a: { b: 1 } } }), 400, 'metadata'],
  [
    'too many metadata entries',
    'POST',
    '/service',
    reg({ metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }),
    400,
    'metadata',
  ],
  [
    'too many tags',
    'POST',
    '/service',
    reg({ tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }),
    400,
    'tags',
  ],
  ['host with spaces', 'POST', '/service', reg({ host: 'evil host' }), 400, 'host'],
  [
    'url with javascript scheme',
    'POST',
    '/service',
    { serviceType: 'hostile', url: 'javascript:alert(1)' },
    400,
    'url',
  ],
  [
    'url with credentials',
    'POST',
    '/service',
    { serviceType: 'hostile', url: 'http://user:pw@10.0.0.1:80' },
    400,
    'url',
  ],
  [
    'url and port together',
    'POST',
    '/service',
    { serviceType: 'hostile', url: 'http://10.0.0.1:80', port: 80 },
    400,
    'url',
  ],
  ['neither port nor url', 'POST', '/service', { serviceType: 'hostile' }, 400, 'port'],
  [
    'bad check type',
    'POST',
    '/service',
    reg({ healthCheck: { type: 'exec' } }),
    400,
    'healthCheck.type',
  ],
  [
    'bad duration',
    'POST',
    '/service',
    reg({ healthCheck: { type: 'http', interval: 'soon' } }),
    400,
    'healthCheck.interval',
  ],
  ['negative weight', 'POST', '/service', reg({ weight: -1 }), 400, 'weight'],
  [
    'route path traversal',
    'POST',
    '/service',
    reg({ routes: [{ path: '/api/../admin' }] }),
    400,
    'routes.0.path',
  ],
  [
    'route path without slash',
    'POST',
    '/service',
    reg({ routes: [{ path: 'api' }] }),
    400,
    'routes.0.path',
  ],
  [
    'route with bad method',
    'POST',
    '/service',
    reg({ routes: [{ path: '/a', method: 'TRACE' }] }),
    400,
    'routes.0.method',
  ],
  [
    'route with CRLF header value',
    'POST',
    '/service',
    reg({ routes: [{ path: '/a', headers: { 'X-A': 'b\r\nc' } }] }),
    400,
    'routes.0.headers',
  ],
  [
    'route with bad header name',
    'POST',
    '/service',
    reg({ routes: [{ path: '/a', headers: { 'Bad Header': 'x' } }] }),
    400,
    'routes.0.headers',
  ],
  [
    'route with bad balancer',
    'POST',
    '/service',
    reg({ routes: [{ path: '/a', load_balancer: 'magic' }] }),
    400,
    'routes.0.load_balancer',
  ],
  [
    'duplicate routes in one request',
    'POST',
    '/service',
    reg({ routes: [{ path: '/dup' }, { path: '/dup/' }] }),
    400,
    'routes',
  ],
  [
    'too many routes',
    'POST',
    '/service',
    reg({ routes: Array.from({ length: 65 }, (_, i) => ({ path: `/r${i}` })) }),
    400,
    'routes',
  ],
  [
    'register: bad backend',
    'POST',
    '/register',
    compat({ backend: 'ftp://10.0.0.1' }),
    400,
    'backend',
  ],
  [
    'register: missing path',
    'POST',
    '/register',
    { host: 'hostile.example.com', backend: 'http://10.0.0.1' },
    400,
    'path',
  ],
  ['register: bad host', 'POST', '/register', compat({ host: 'exa mple.com' }), 400, 'host'],
  [
    'register: unknown option',
    'POST',
    '/register',
    compat({ options: { shell: true } }),
    400,
    'options.shell',
  ],
  [
    'register: bad rate limit',
    'POST',
    '/register',
    compat({ options: { rate_limit: { requests_per_min: -5 } } }),
    400,
    'options.rate_limit.requests_per_min',
  ],
  ['deregister: wrong type', 'POST', '/deregister', { host: 1, path: '/x' }, 400, 'host'],
  [
    'internal: bad url',
    'POST',
    '/internal/register-service',
    internal({ url: 'not a url' }),
    400,
    'url',
  ],
  [
    'internal: routes not a list',
    'POST',
    '/internal/register-service',
    internal({ routes: { path: '/a' } }),
    400,
    'routes',
  ],
  [
    'internal: bad health endpoint',
    'POST',
    '/internal/register-service',
    internal({ health_endpoint: 'health' }),
    400,
    'health_endpoint',
  ],
  [
    'discovery: bad status filter',
    'GET',
    '/services/hostile?status=ALIVE',
    undefined,
    400,
    'status',
  ],
  ['discovery: unknown filter', 'GET', '/services/hostile?evil=1', undefined, 400, 'evil'],
  [
    'patch: status DOWN is not for clients',
    'PATCH',
    '/service/%ID%',
    { status: 'DOWN' },
    400,
    'status',
  ],
  ['patch: unknown field', 'PATCH', '/service/%ID%', { token: 'x' }, 400, 'token'],
];

describe('hostile input on the admin port', () => {
  let wp: RunningWaypost;
  let victimId: string;

  beforeAll(async () => {
    wp = await startWaypost();
    const victim = await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aRegistration({ serviceType: 'victim' }),
    });
    victimId = victim.body.id;
  });
  afterAll(() => wp.cleanup());

  const snapshot = async () => ({
    services: (await call('GET', `${wp.admin}/services`, { headers: bearer(ADMIN_KEY) })).body,
    victim: (await call('GET', `${wp.admin}/service/${victimId}`, { headers: bearer(ADMIN_KEY) }))
      .body,
    routes: (await call('GET', `${wp.admin}/routes`, { headers: bearer(ADMIN_KEY) })).body,
  });

  it(`answers each of ${CASES.length} hostile inputs with the right 4xx JSON and changes nothing`, async () => {
    const before = await snapshot();
    for (const [name, method, rawPath, body, status, field] of CASES) {
      const path = rawPath.replace('%ID%', victimId);
      const headers = method === 'POST' ? bearer(REGISTRATION_KEY) : bearer(ADMIN_KEY);
      const response = await call(method, `${wp.admin}${path}`, {
        headers,
        ...(typeof body === 'string' ? { raw: body } : { body }),
      });
      const context = `${name}: ${response.status} ${response.text.slice(0, 300)}`;
      expect({ context, status: response.status }).toEqual({ context, status });
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({
        statusCode: status,
        error: expect.any(String),
        message: expect.any(String),
      });
      if (field)
        expect({ context, message: response.body.message }).toEqual({
          context,
          message: expect.stringContaining(field),
        });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a 1 MiB body with 413 JSON', async () => {
    const huge = JSON.stringify(reg({ metadata: { blob: 'x'.repeat(1024 * 1024) } }));
    const response = await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      raw: huge,
    });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ statusCode: 413, error: 'payload too large' });
  });

  it('refuses other media types with 415 JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await call('POST', `${wp.admin}/service`, {
        headers: { ...bearer(REGISTRATION_KEY), 'content-type': type },
        raw: 'serviceType=a&port=1',
      });
      expect(response.status).toBe(415);
      expect(response.body.statusCode).toBe(415);
    }
  });

  it('answers unknown endpoints and methods with 404 JSON', async () => {
    const response = await call('GET', `${wp.admin}/admin/secret`);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ statusCode: 404, error: 'not found' });
  });

  it('refuses an oversized header with 431', async () => {
    const big = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${wp.admin}/health`,
        { headers: { 'x-big': 'a'.repeat(64 * 1024) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(big).toBe(431);
  });

  it('refuses more than 100 header fields with 431 JSON on the admin and the gateway port', async () => {
    const withHeaders = (url: string, count: number) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        // Host, Connection and the x-n fields: `count` in all.
        const headers = Object.fromEntries(
          Array.from({ length: count - 2 }, (_, i) => [`x-h${i}`, String(i)]),
        );
        // A connection of its own: the one a 431 before it was answered on is closed.
        const req = httpRequest(url, { headers, agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    expect((await withHeaders(`${wp.admin}/health`, 100)).status).toBe(200);
    const admin = await withHeaders(`${wp.admin}/health`, 101);
    expect(admin.status).toBe(431);
    expect(JSON.parse(admin.body)).toMatchObject({ statusCode: 431, code: 'HEADERS_TOO_LARGE' });
    expect((await withHeaders(`${wp.gateway}/nowhere`, 100)).status).toBe(404);
    const gateway = await withHeaders(`${wp.gateway}/nowhere`, 200);
    expect(gateway.status).toBe(431);
    expect(JSON.parse(gateway.body)).toMatchObject({
      code: 'HEADERS_TOO_LARGE',
      message: 'more than 100 header fields',
    });
  });

  it('leaves registration working afterwards', async () => {
    const ok = await call('POST', `${wp.admin}/service`, {
      headers: bearer(REGISTRATION_KEY),
      body: aRegistration({ serviceType: 'after' }),
    });
    expect(ok.status).toBe(201);
  });
});
