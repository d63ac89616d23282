import { AppError } from '../../common/errors/app-error';
import { admitRoute, AdmissionContext } from './route-admission';
import { toRouteSpec } from '../../model/route-spec';
import { routeKey, RouteRecord } from '../../model/route';

function context(overrides: Partial<AdmissionContext> = {}): AdmissionContext {
  return {
    configRoutes: [
      toRouteSpec({ host: 'api.example.com', path: '/admin' }, { backend: 'http://10.0.0.1' }),
      toRouteSpec({ path: '/internal' }, { backend: 'http://10.0.0.2' }),
    ],
    routesByKey: new Map(),
    servicePermissions: { sagjan: ['comments:read'] },
    ...overrides,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as AppError).code;
  }
}

describe('admitRoute', () => {
  it('admits a new route', () => {
    expect(
      admitRoute(toRouteSpec({ path: '/api/comments/*' }, { service: 'sagjan' }), context()),
    ).toBeNull();
  });

  it.each([
    ['the same path', { host: 'api.example.com', path: '/admin' }],
    ['a sub-path', { host: 'api.example.com', path: '/admin/users' }],
    ['a method-specific variant', { host: 'api.example.com', path: '/admin', method: 'GET' }],
    ['a host-specific variant of an any-host route', { host: 'x.example.com', path: '/internal' }],
    [
      'a wildcard-host variant of an any-host route',
      { host: '*.example.com', path: '/internal/a' },
    ],
  ])('refuses %s of a configured route with 409', (_name, input) => {
    expect(codeOf(() => admitRoute(toRouteSpec(input, { service: 'x' }), context()))).toBe(
      'ROUTE_SHADOWS_CONFIG',
    );
  });

  it.each([
    ['an any-host variant', { path: '/admin' }],
    ['a wildcard-host variant', { host: '*.example.com', path: '/admin' }],
  ])(
    'admits %s of a host-specific configured route: the configured one still wins its host',
    (_n, input) => {
      expect(admitRoute(toRouteSpec(input, { service: 'x' }), context())).toBeNull();
    },
  );

  it('lets a route beside a configured one through', () => {
    expect(
      admitRoute(
        toRouteSpec({ host: 'api.example.com', path: '/administrator' }, { service: 'x' }),
        context(),
      ),
    ).toBeNull();
  });

  it('checks permissions against the services map', () => {
    const allowed = toRouteSpec({ path: '/c', permission: 'comments:read' }, { service: 'sagjan' });
    const notAllowed = toRouteSpec(
      { path: '/c', permission: 'comments:write' },
      { service: 'sagjan' },
    );
    const unlisted = toRouteSpec({ path: '/c', permission: 'comments:read' }, { service: 'other' });
    expect(admitRoute(allowed, context())).toBeNull();
    expect(codeOf(() => admitRoute(notAllowed, context()))).toBe('PERMISSION_NOT_ALLOWED');
    expect(codeOf(() => admitRoute(unlisted, context()))).toBe('PERMISSION_NOT_ALLOWED');
  });

  it('lets replicas of one service share a route and refuses another owner', () => {
    const spec = toRouteSpec({ path: '/users' }, { service: 'users' });
    const existing: RouteRecord = {
      ...spec,
      id: 'r1',
      origin: 'service',
      owners: ['i1'],
      registeredAt: '',
    };
    const ctx = context({ routesByKey: new Map([[routeKey(spec), existing]]) });
    expect(admitRoute(spec, ctx)).toBe(existing);
    expect(
      codeOf(() => admitRoute(toRouteSpec({ path: '/users' }, { service: 'other' }), ctx)),
    ).toBe('ROUTE_EXISTS');
    expect(
      codeOf(() => admitRoute(toRouteSpec({ path: '/users' }, { backend: 'http://b' }), ctx)),
    ).toBe('ROUTE_EXISTS');
  });
});
