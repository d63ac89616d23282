import { anInstanceRecord } from '../../test/factories';
import { INSTANCE_CREDENTIALS_VERIFIER } from '../auth/auth.constants';
import { InstanceGuard } from '../auth/guards/instance.guard';
import { AppError } from '../common/errors/app-error';
import { InstanceRecord, toInstanceView } from '../model/instance';
import {
  ADMIN_KEY,
  bearer,
  BootedController,
  bootController,
  REGISTRATION_KEY,
} from '../../test/helpers/controller-harness';
import { RegistryService } from './registry.service';
import { ServicesController } from './services.controller';

const NOW = '2026-11-23T08:00:00.000Z';
const ID = '4f5a0f6e-2f1c-4d4b-9a57-7d1f1d7a9e0b';
const TOKEN = 'instance-token-of-forty-three-characters-xx';
const instance: InstanceRecord = anInstanceRecord({
  id: ID,
  serviceType: 'users',
  host: '10.0.0.7',
  url: 'http://10.0.0.7:3000',
});
const view = toInstanceView(instance);

/** Contract of the native registry API: real pipe, filter and guards; the registry faked. */
describe(ServicesController.name, () => {
  let api: BootedController;
  const registry = {
    register: jest.fn(),
    discover: jest.fn(),
    getInstance: jest.fn(),
    removeInstance: jest.fn(),
    heartbeat: jest.fn(),
    patchInstance: jest.fn(),
    statusCounts: jest.fn(),
    changes: { indexOf: jest.fn(() => 7), changeAfter: jest.fn(async () => 8) },
  };
  const HELD: string = 'the-hash-of-the-token';
  const verifier = {
    tokenHashOf: jest.fn((id: string, token: string) =>
      id === ID && token === TOKEN ? HELD : null,
    ),
  };
  const self = { 'x-service-id': ID, 'x-service-token': TOKEN };

  beforeAll(async () => {
    api = await bootController(ServicesController, [
      { provide: RegistryService, useValue: registry },
      { provide: INSTANCE_CREDENTIALS_VERIFIER, useValue: verifier },
      InstanceGuard,
    ]);
  });
  afterAll(() => api.close());
  beforeEach(() => jest.clearAllMocks());

  describe('POST /service', () => {
    it('answers 201 with the id, the token and the instance as registered', async () => {
      registry.register.mockReturnValue({ instance, token: TOKEN, routes: [] });
      const response = await api.request('POST', '/service', {
        body: { serviceType: 'users', host: '10.0.0.7', port: '3000' },
        headers: bearer(REGISTRATION_KEY),
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({ serviceId: ID, token: TOKEN, ...view, routes: [] });
      expect(registry.register).toHaveBeenCalledWith(
        expect.objectContaining({ serviceType: 'users', port: 3000, url: 'http://10.0.0.7:3000' }),
        [],
      );
    });

    it('refuses a missing or wrong key with 401 and registers nothing', async () => {
      for (const headers of [{}, bearer('wrong-key-0123456789abcdef'), bearer(ADMIN_KEY)]) {
        const response = await api.request('POST', '/service', {
          body: { serviceType: 'users', port: 3000 },
          headers,
        });
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({
          statusCode: 401,
          error: 'unauthorized',
          code: 'UNAUTHORIZED',
        });
      }
      expect(registry.register).not.toHaveBeenCalled();
    });

    it('refuses an invalid body with 400 naming the field, and registers nothing', async () => {
      const cases: [unknown, RegExp][] = [
        [{ serviceType: 'users' }, /^port/],
        [{ serviceType: 'bad type!', port: 3000 }, /^serviceType/],
        [{ serviceType: 'users', port: 70000 }, /^port/],
        [{ serviceType: 'users', port: 3000, extra: 1 }, /extra/],
        [
          { serviceType: 'users', port: 3000, healthCheck: { type: 'smoke' } },
          /^healthCheck\.type/,
        ],
      ];
      for (const [body, field] of cases) {
        const response = await api.request('POST', '/service', {
          body,
          headers: bearer(REGISTRATION_KEY),
        });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({
          statusCode: 400,
          error: 'bad request',
          code: 'VALIDATION_FAILED',
        });
        expect((response.body as { message: string }).message).toMatch(field);
      }
      expect(registry.register).not.toHaveBeenCalled();
    });

    it('refuses malformed JSON and other media types before any handler runs', async () => {
      const broken = await api.request('POST', '/service', {
        raw: '{"serviceType": ',
        headers: { ...bearer(REGISTRATION_KEY), 'content-type': 'application/json' },
      });
      expect(broken.status).toBe(400);
      const text = await api.request('POST', '/service', {
        raw: 'serviceType=users',
        headers: {
          ...bearer(REGISTRATION_KEY),
          'content-type': 'application/x-www-form-urlencoded',
        },
      });
      expect(text.status).toBe(415);
      expect(text.body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(registry.register).not.toHaveBeenCalled();
    });
  });

  describe('GET /services/:serviceType', () => {
    it("answers the registry's JSON as is, to an instance or the admin key", async () => {
      registry.discover.mockReturnValue('{"serviceType":"users","instances":[]}');
      for (const headers of [self, bearer(ADMIN_KEY)]) {
        const response = await api.request('GET', '/services/users?status=UP', { headers });
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(response.headers['x-waypost-index']).toBe('7');
        expect(response.body).toEqual({ serviceType: 'users', instances: [] });
      }
      expect(registry.discover).toHaveBeenCalledWith(
        'users',
        expect.objectContaining({ status: 'UP' }),
      );
    });

    it('long-polls the change log of that service with index and wait', async () => {
      registry.discover.mockReturnValue('{"serviceType":"users","instances":[]}');
      const response = await api.request('GET', '/services/users?index=7&wait=2s', {
        headers: self,
      });
      expect(response.status).toBe(200);
      expect(registry.changes.changeAfter).toHaveBeenCalledWith('users', 7, 2000);
      // index and wait are no filters
      expect(registry.discover).toHaveBeenCalledWith('users', {});
    });

    it('refuses callers without credentials, bad service types and bad filters', async () => {
      expect((await api.request('GET', '/services/users')).status).toBe(401);
      const badType = await api.request('GET', '/services/no%20spaces', { headers: self });
      expect(badType.status).toBe(400);
      const badFilter = await api.request('GET', '/services/users?status=SLEEPY', {
        headers: self,
      });
      expect(badFilter.status).toBe(400);
      expect(registry.discover).not.toHaveBeenCalled();
    });
  });

  describe('GET /service/:id', () => {
    it('answers 404 in the contract shape for an unknown id', async () => {
      registry.getInstance.mockImplementation(() => {
        throw new AppError('INSTANCE_NOT_FOUND', 'no instance with id nope');
      });
      const response = await api.request('GET', '/service/nope', { headers: bearer(ADMIN_KEY) });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        statusCode: 404,
        error: 'not found',
        message: 'no instance with id nope',
        code: 'INSTANCE_NOT_FOUND',
      });
    });
  });

  describe('PUT /service/:id/heartbeat', () => {
    it('answers the instance as the registry has it after the heartbeat', async () => {
      const after = { ...instance, status: 'UP' as const, lastHeartbeatAt: NOW };
      registry.heartbeat.mockReturnValue(after);
      const response = await api.request('PUT', `/service/${ID}/heartbeat`, { headers: self });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(toInstanceView(after));
      // The token the guard matched goes with the write: it must still be the instance's then.
      expect(registry.heartbeat).toHaveBeenCalledWith(ID, HELD);
    });

    it("is the instance's own: the admin key and other instances are refused", async () => {
      const admin = await api.request('PUT', `/service/${ID}/heartbeat`, {
        headers: bearer(ADMIN_KEY),
      });
      expect(admin.status).toBe(401);
      verifier.tokenHashOf.mockReturnValueOnce('its-hash');
      const other = await api.request('PUT', '/service/another-id/heartbeat', {
        headers: { 'x-service-id': 'other', 'x-service-token': 'its-token' },
      });
      expect(other.status).toBe(403);
      expect(registry.heartbeat).not.toHaveBeenCalled();
    });
  });

  describe('PATCH /service/:id', () => {
    it('passes a drain to the registry and answers its result', async () => {
      const drained = { ...instance, status: 'MAINTENANCE' as const };
      registry.patchInstance.mockReturnValue(drained);
      const response = await api.request('PATCH', `/service/${ID}`, {
        body: { status: 'MAINTENANCE' },
        headers: self,
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(toInstanceView(drained));
      expect(registry.patchInstance).toHaveBeenCalledWith(ID, { status: 'MAINTENANCE' }, HELD);
    });

    it('holds the admin key to no token', async () => {
      registry.patchInstance.mockReturnValue(instance);
      const response = await api.request('PATCH', `/service/${ID}`, {
        body: { weight: 5 },
        headers: bearer(ADMIN_KEY),
      });
      expect(response.status).toBe(200);
      expect(registry.patchInstance).toHaveBeenCalledWith(ID, { weight: 5 }, undefined);
    });

    it('refuses statuses an operator may not set, and weights out of range', async () => {
      for (const body of [
        { status: 'DOWN' },
        { weight: 0 },
        { weight: 1001 },
        { metadata: { a: 1 } },
      ]) {
        const response = await api.request('PATCH', `/service/${ID}`, { body, headers: self });
        expect(response.status).toBe(400);
      }
      expect(registry.patchInstance).not.toHaveBeenCalled();
    });
  });

  describe('DELETE /service/:id', () => {
    it('answers what was deregistered', async () => {
      registry.removeInstance.mockReturnValue(instance);
      const response = await api.request('DELETE', `/service/${ID}`, { headers: self });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        status: 'deregistered',
        serviceId: ID,
        serviceType: 'users',
      });
      expect(registry.removeInstance).toHaveBeenCalledWith(ID, 'deregistration', HELD);
    });
  });

  describe('GET /services', () => {
    it('answers each service type with its instance and UP counts', async () => {
      registry.statusCounts.mockReturnValue(
        new Map([['users', { UNKNOWN: 1, UP: 2, DOWN: 1, MAINTENANCE: 0, total: 4 }]]),
      );
      const response = await api.request('GET', '/services', { headers: bearer(ADMIN_KEY) });
      expect(response.body).toEqual({ services: { users: { instances: 4, up: 2 } } });
    });
  });
});
