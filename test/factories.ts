/** Request bodies for the tests, each a small default with overrides. */

export function aRegistration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    serviceType: 'user-service',
    port: 3000,
    host: '127.0.0.1',
    healthCheck: { type: 'none' },
    ...overrides,
  };
}

export function aCompatRoute(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { host: 'api.example.com', path: '/v2', backend: 'http://127.0.0.1:9000', ...overrides };
}

export function aServiceRegistration(
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    service: 'sagjan',
    url: 'http://127.0.0.1:7812',
    health_endpoint: '/health',
    routes: [{ method: 'GET', path: '/api/comments/*', permission: 'comments:read' }],
    ...overrides,
  };
}
