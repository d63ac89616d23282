import { anInstanceRecord } from '../../test/factories';
import { AppError } from '../common/errors/app-error';
import { RouteRecord } from '../model/route';
import { toRouteSpec } from '../model/route-spec';
import {
  ADMIN_KEY,
  bearer,
  BootedController,
  bootController,
  REGISTRATION_KEY,
} from '../../test/helpers/controller-harness';
import { CompatController } from './compat.controller';
import { RegistryService } from './registry.service';

const NOW = '2026-11-23T08:00:00.000Z';
const route: RouteRecord = {
  ...toRouteSpec({ host: 'api.example.com', path: '/v2' }, { backend: 'http://127.0.0.1:9000' }),
  id: 'r1',
  origin: 'register',
  owners: [],
  registeredAt: NOW,
};

/** Contract of the two older registries' API, word for word: real pipe, filter and guards. */
describe(CompatController.name, () => {
  let api: BootedController;
  const registry = {
    addBackendRoute: jest.fn(),
    removeBackendRoute: jest.fn(),
    allRoutes: jest.fn(),
    register: jest.fn(),
  };
  const key = bearer(REGISTRATION_KEY);

  beforeAll(async () => {
    api = await bootController(
      CompatController,
      [{ provide: RegistryService, useValue: registry }],
      { TRUSTED_NETWORKS: '10.9.0.0/16' },
    );
  });
  afterAll(() => api.close());
  beforeEach(() => jest.clearAllMocks());

  it('POST /register answers 200 {status: registered, host, path, backend, id}', async () => {
    registry.addBackendRoute.mockReturnValue(route);
    const body = { host: 'api.example.com', path: '/v2', backend: 'http://127.0.0.1:9000' };
    const response = await api.request('POST', '/register', { body, headers: key });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'registered', ...body, id: 'r1' });
  });

  it('POST /register answers 409 "route already exists" for a taken route', async () => {
    registry.addBackendRoute.mockImplementation(() => {
      throw new AppError('ROUTE_EXISTS', 'api.example.com/v2 is already registered');
    });
    const response = await api.request('POST', '/register', {
      body: { host: 'api.example.com', path: '/v2', backend: 'http://127.0.0.1:9000' },
      headers: key,
    });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      statusCode: 409,
      error: 'route already exists',
      message: 'api.example.com/v2 is already registered',
      code: 'ROUTE_EXISTS',
    });
  });

  it('POST /register refuses callers outside TRUSTED_NETWORKS without a key, and bad backends', async () => {
    const body = { host: 'api.example.com', path: '/v2', backend: 'http://127.0.0.1:9000' };
    expect((await api.request('POST', '/register', { body })).status).toBe(401);
    for (const backend of ['ftp://x', 'not a url', 'http://user:pw@host']) {
      const response = await api.request('POST', '/register', {
        body: { ...body, backend },
        headers: key,
      });
      expect(response.status).toBe(400);
      expect((response.body as { message: string }).message).toMatch(/^backend/);
    }
    expect(registry.addBackendRoute).not.toHaveBeenCalled();
  });

  it('POST /deregister answers 200, or 404 "route not found"', async () => {
    registry.removeBackendRoute.mockReturnValueOnce(route);
    const ok = await api.request('POST', '/deregister', {
      body: { host: 'api.example.com', path: '/v2' },
      headers: key,
    });
    expect(ok.body).toEqual({ status: 'deregistered', host: 'api.example.com', path: '/v2' });
    expect(registry.removeBackendRoute).toHaveBeenCalledWith('api.example.com', '/v2');
    registry.removeBackendRoute.mockImplementationOnce(() => {
      throw new AppError('ROUTE_NOT_FOUND', 'no route registered for api.example.com/v3');
    });
    const missing = await api.request('POST', '/deregister', {
      body: { host: 'api.example.com', path: '/v3' },
      headers: bearer(ADMIN_KEY),
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, error: 'route not found' });
  });

  it('GET /routes lists every route with its total', async () => {
    registry.allRoutes.mockReturnValue([route]);
    const response = await api.request('GET', '/routes', { headers: key });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      total: 1,
      routes: [{ host: 'api.example.com', path: '/v2', backend: 'http://127.0.0.1:9000' }],
    });
  });

  it('POST /internal/register-service answers the id, the token and the routes', async () => {
    const instance = anInstanceRecord({
      serviceType: 'sagjan',
      port: 7812,
      url: 'http://127.0.0.1:7812',
      origin: 'internal',
    });

    registry.register.mockReturnValue({ instance, token: 'the-token', routes: [] });
    const response = await api.request('POST', '/internal/register-service', {
      body: { service: 'sagjan', url: 'http://127.0.0.1:7812', health_endpoint: '/healthz' },
      headers: key,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'registered',
      service: 'sagjan',
      serviceId: 'i1',
      token: 'the-token',
      routes: [],
    });
    expect(registry.register).toHaveBeenCalledWith(
      expect.objectContaining({
        serviceType: 'sagjan',
        origin: 'internal',
        healthCheck: expect.objectContaining({ path: '/healthz' }),
      }),
      [],
    );
  });
});
