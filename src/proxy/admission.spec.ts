import {
  gatewayRequest as request,
  rulesFor,
  serviceRoute as record,
} from '../../test/helpers/gateway-rules';
import { admit, Admission, Refusal, stripPrefix } from './admission';

describe('admission', () => {
  const rules = rulesFor(
    [
      record({ path: '/users/*' }, 'open'),
      record({ path: '/admin/*', permission: 'users:write' }, 'write'),
      record({ path: '/read/*', permission: 'users:read' }, 'read'),
      record({ path: '/api/v1/*', strip_prefix: true }, 'strip'),
      record({ path: '/limited', rate_limit: { requests_per_min: 1 } }, 'limited'),
    ],
    [{ name: 'reader', key: 'reader-key-0123456789', permissions: ['users:read'] }],
  );

  it("admits a routed request with the backend's headers and path", () => {
    const admitted = admit(
      request('/users/42?x=1', { 'x-forwarded-for': '10.0.0.1' }),
      '10.0.0.2',
      'rid',
      rules,
    ) as Admission;
    expect(admitted).not.toBeInstanceOf(Refusal);
    expect(admitted.match.route.id).toBe('open');
    expect(admitted.upstreamPath).toBe('/users/42?x=1');
    expect(admitted.headers).toMatchObject({
      'x-forwarded-for': '10.0.0.1, 10.0.0.2',
      'x-forwarded-host': 'api.example.com',
      'x-request-id': 'rid',
    });
    expect(admitted.headers.host).toBeUndefined();
  });

  it('strips the literal prefix on strip_prefix routes', () => {
    const admitted = admit(request('/api/v1/users/7?q'), 'ip', 'rid', rules) as Admission;
    expect(admitted.upstreamPath).toBe('/users/7?q');
    expect(stripPrefix('/a/b/c', 1)).toBe('/b/c');
    expect(stripPrefix('/a', 1)).toBe('/');
  });

  it('refuses a bad target or Host with 400, and an unrouted request with 404', () => {
    const code = (r: ReturnType<typeof admit>) => (r instanceof Refusal ? r.code : 'ADMITTED');
    expect(code(admit(request('http://evil/users/1'), 'ip', 'rid', rules))).toBe(
      'VALIDATION_FAILED',
    );
    expect(code(admit(request('/users/%2e%2e/admin'), 'ip', 'rid', rules))).toBe(
      'VALIDATION_FAILED',
    );
    expect(code(admit(request('/users/1', { host: 'bad host!' }), 'ip', 'rid', rules))).toBe(
      'VALIDATION_FAILED',
    );
    expect(code(admit(request('/nowhere'), 'ip', 'rid', rules))).toBe('ROUTE_NOT_FOUND');
  });

  it("needs a key with the route's permission: 401 without one, 403 with the wrong one", () => {
    const without = admit(request('/admin/x'), 'ip', 'rid', rules) as Refusal;
    expect(without.code).toBe('UNAUTHORIZED');
    const wrong = admit(
      request('/admin/x', { 'x-api-key': 'reader-key-0123456789' }),
      'ip',
      'rid',
      rules,
    ) as Refusal;
    expect(wrong.code).toBe('FORBIDDEN');
    const right = admit(
      request('/read/x', { 'x-api-key': 'reader-key-0123456789' }),
      'ip',
      'rid',
      rules,
    ) as Admission;
    expect(right.headers['x-api-key-name']).toBe('reader');
  });

  it('takes a rate-limit token per client and answers 429 with Retry-After past the limit', () => {
    expect(admit(request('/limited'), 'a', 'rid', rules)).not.toBeInstanceOf(Refusal);
    const refused = admit(request('/limited'), 'a', 'rid', rules) as Refusal;
    expect(refused.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(admit(request('/limited'), 'b', 'rid', rules)).not.toBeInstanceOf(Refusal);
  });
});
