import {
  gatewayRequest as request,
  RouteInput,
  rulesFor as rulesOf,
  serviceRoute,
} from '../../../test/helpers/gateway-rules';
import { parseByteSize, parseTemplate, unsafePattern } from '../../model/edge-rules';
import { admit, Admission, Refusal, Reply } from '../admission';
import { withGatewayHeaders } from '../gateway-answer';
import { NO_HEADERS } from '../route-runtime';
import { CorsPolicy } from './cors-policy';

const rulesFor = (inputs: Array<[RouteInput, string]>) =>
  rulesOf(inputs.map(([input, id]) => serviceRoute(input, id)));

const APP = 'https://app.example.com';

describe('route edge options', () => {
  const rules = rulesFor([
    [{ path: '/plain' }, 'plain'],
    [{ path: '/office', allow_from: ['10.0.0.0/8'], deny_from: ['10.6.6.0/24'] }, 'office'],
    [
      {
        path: '/api',
        methods: ['GET', 'PUT'],
        cors: { origins: [APP, 'https://*.example.org'], credentials: true, max_age: 600 },
      },
      'cors',
    ],
    [{ path: '/public', cors: { origins: ['*'], expose_headers: ['X-Total'] } }, 'public'],
    [{ path: '/old', redirect: { to: 'https://new.example.com${path}' } }, 'moved'],
    [{ path: '/here', redirect: { to: '/there?from=${host}', status: 308 } }, 'here'],
    [
      {
        path: '/v1',
        strip_prefix: true,
        rewrite: { pattern: '^/(\\w+)/(\\d+)$', replacement: '/api/$1?id=$2' },
      },
      'rewrite',
    ],
    [
      {
        path: '/hdr',
        request_headers: {
          set: { 'X-Client': '${client_ip}', 'X-Route': '${route}' },
          add: { Via: 'waypost' },
          remove: ['Cookie'],
        },
        response_headers: { set: { 'X-Req': '${request_id}' }, remove: ['Server'] },
      },
      'hdr',
    ],
    [{ path: '/upload', max_body_size: 1024 }, 'upload'],
  ]);

  it('leaves a route without edge options without a RouteEdge, so it pays nothing for them', () => {
    const admitted = admit(request('/plain'), '10.0.0.1', 'rid', rules) as Admission;
    expect(admitted.match.payload.edge).toBeNull();
    expect(admitted.responseEdge).toBeNull();
    expect(admitted.maxBodySize).toBeNull();
  });

  it('admits allow_from and refuses deny_from and everyone else with 403', () => {
    expect(admit(request('/office'), '10.1.2.3', 'rid', rules)).not.toBeInstanceOf(Refusal);
    expect((admit(request('/office'), '10.6.6.6', 'rid', rules) as Refusal).code).toBe('FORBIDDEN');
    expect((admit(request('/office'), '192.0.2.1', 'rid', rules) as Refusal).code).toBe(
      'FORBIDDEN',
    );
  });

  it('answers a preflight itself, for a route of the asked method, and only for allowed origins', () => {
    const preflight = (origin: string, method = 'PUT') =>
      admit(
        request(
          '/api/x',
          {
            origin,
            'access-control-request-method': method,
            'access-control-request-headers': 'content-type, bad name, ',
          },
          'OPTIONS',
        ),
        'ip',
        'rid',
        rules,
      );
    const allowed = preflight(APP) as Reply;
    expect(allowed).toBeInstanceOf(Reply);
    expect(allowed.status).toBe(204);
    expect(allowed.headers).toEqual({
      vary: 'Origin, Access-Control-Request-Headers',
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, PUT',
      'access-control-allow-headers': 'content-type',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
    });
    expect(
      (preflight('https://a.b.example.org') as Reply).headers['access-control-allow-origin'],
    ).toBe('https://a.b.example.org');
    const refused = preflight('https://example.org') as Reply;
    expect(refused.status).toBe(204);
    expect(Object.keys(refused.headers).filter((h) => h.startsWith('access-control'))).toEqual([]);
    // A route that does not take the asked method is no route for it.
    expect((preflight(APP, 'DELETE') as Refusal).code).toBe('ROUTE_NOT_FOUND');
  });

  it('adds CORS headers and Vary: Origin to an ordinary answer', () => {
    const headersOf = (url: string, origin?: string) => {
      const admitted = admit(
        request(url, origin ? { origin } : {}),
        'ip',
        'rid',
        rules,
      ) as Admission;
      return withGatewayHeaders({ vary: 'Accept-Encoding' } as Record<string, string>, {
        req: {} as never,
        res: {} as never,
        started: performance.now(),
        requestId: 'rid',
        extraHeaders: NO_HEADERS,
        responseEdge: admitted.responseEdge,
      });
    };
    expect(headersOf('/api/x', APP)).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      vary: 'Accept-Encoding, Origin',
    });
    const stranger = headersOf('/api/x', 'https://evil.example.net');
    expect(stranger['access-control-allow-origin']).toBeUndefined();
    expect(stranger.vary).toBe('Accept-Encoding, Origin');
    const open = headersOf('/public', 'https://anyone.example');
    expect(open).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'X-Total',
    });
    expect(open.vary).toBe('Accept-Encoding');
  });

  it('redirects with the path and the query, or with a template of its own', () => {
    const moved = admit(request('/old/a/b?x=1'), 'ip', 'rid', rules) as Reply;
    expect([moved.status, moved.headers.location]).toEqual([
      302,
      'https://new.example.com/old/a/b?x=1',
    ]);
    const here = admit(request('/here?y=2'), 'ip', 'rid', rules) as Reply;
    expect([here.status, here.headers.location]).toEqual([308, '/there?from=api.example.com']);
  });

  it('rewrites the path after strip_prefix and keeps the query', () => {
    expect((admit(request('/v1/users/42?x=1'), 'ip', 'rid', rules) as Admission).upstreamPath).toBe(
      '/api/users?id=42?x=1',
    );
    expect((admit(request('/v1/other/path'), 'ip', 'rid', rules) as Admission).upstreamPath).toBe(
      '/other/path',
    );
  });

  it('applies request header rules around the chain the gateway keeps, and response rules to the answer', () => {
    const admitted = admit(
      request('/hdr', { cookie: 'secret', via: '1.1 edge', 'x-forwarded-for': '198.51.100.1' }),
      '10.0.0.9',
      'rid-7',
      rules,
    ) as Admission;
    expect(admitted.headers).toMatchObject({
      'x-client': '10.0.0.9',
      'x-route': 'hdr',
      via: ['1.1 edge', 'waypost'],
      'x-forwarded-for': '198.51.100.1, 10.0.0.9',
    });
    expect(admitted.headers.cookie).toBeUndefined();
    const answer = withGatewayHeaders({ server: 'nginx' } as Record<string, string>, {
      req: {} as never,
      res: {} as never,
      started: performance.now(),
      requestId: 'rid-7',
      extraHeaders: NO_HEADERS,
      responseEdge: admitted.responseEdge,
    });
    expect(answer.server).toBeUndefined();
    expect(answer['x-req']).toBe('rid-7');
  });

  it('refuses a declared body over max_body_size with 413, and hands a chunked one the limit', () => {
    const big = admit(
      request('/upload', { 'content-length': '1025' }, 'POST'),
      'ip',
      'rid',
      rules,
    ) as Refusal;
    expect(big.code).toBe('PAYLOAD_TOO_LARGE');
    const fits = admit(
      request('/upload', { 'content-length': '1024' }, 'POST'),
      'ip',
      'rid',
      rules,
    ) as Admission;
    expect(fits.maxBodySize).toBe(1024);
    const chunked = admit(
      request('/upload', { 'transfer-encoding': 'chunked' }, 'POST'),
      'ip',
      'rid',
      rules,
    ) as Admission;
    expect(chunked.maxBodySize).toBe(1024);
  });
});

describe('edge rules', () => {
  it('parses byte sizes in powers of 1024 and refuses anything else', () => {
    expect([
      parseByteSize(10),
      parseByteSize('512kb'),
      parseByteSize('10MB'),
      parseByteSize('1gb'),
    ]).toEqual([10, 524288, 10485760, 1073741824]);
    expect([
      parseByteSize('ten'),
      parseByteSize(-1),
      parseByteSize(1.5),
      parseByteSize('1tb'),
    ]).toEqual([null, null, null, null]);
  });

  it('names an unknown template variable', () => {
    expect(() => parseTemplate('${nope}', ['host'])).toThrow('unknown variable ${nope}');
    expect(parseTemplate('a${host}b', ['host'])).toEqual(['a', { name: 'host' }, 'b']);
  });

  it('refuses patterns that do not compile, backtrack without end or refer back', () => {
    expect(unsafePattern('^/v1/(.*)$')).toBeNull();
    expect(unsafePattern('(')).toMatch(/not a regular expression/);
    expect(unsafePattern('^(a+)+$')).toMatch(/backtrack/);
    expect(unsafePattern('(\\d*){2,}')).toMatch(/backtrack/);
    expect(unsafePattern('(a)\\1')).toMatch(/backreferences/);
  });

  it('matches wildcard origins on one label or more, never the apex', () => {
    const cors = new CorsPolicy(
      {
        origins: ['https://*.example.com'],
        methods: null,
        headers: null,
        expose_headers: [],
        credentials: false,
        max_age: null,
      },
      null,
    );
    expect(cors.allows('https://a.example.com')).toBe(true);
    expect(cors.allows('https://a.b.example.com')).toBe(true);
    expect(cors.allows('https://example.com')).toBe(false);
    expect(cors.allows('http://a.example.com')).toBe(false);
    expect(cors.allows('https://evilexample.com')).toBe(false);
  });
});
