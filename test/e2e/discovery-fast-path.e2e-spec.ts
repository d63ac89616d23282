import { DiscoveryFastPath } from '../../src/registry/discovery-fast-path';
import { aRegistration } from '../factories';
import { bearer, call, instanceHeaders } from './helpers/http';
import { ADMIN_KEY, REGISTRATION_KEY, RunningWaypost, startWaypost } from './helpers/start-waypost';

describe('discovery fast path', () => {
  let wp: RunningWaypost;
  // The fast path's verdicts, in order: a body it answered with, or null for "the controller's".
  const answer = jest.spyOn(
    DiscoveryFastPath.prototype as unknown as { answer: () => Promise<string | null> },
    'answer',
  );
  const verdicts = async () => {
    const all = await Promise.all(answer.mock.results.map((result) => result.value));
    answer.mockClear();
    return all.map((verdict) => (verdict === null ? 'controller' : 'fast'));
  };
  let instance: { serviceId: string; token: string };

  beforeAll(async () => {
    wp = await startWaypost();
    const a = await call('POST', `${wp.admin}/service`, {
      body: aRegistration({ port: 3001, tags: ['blue'] }),
      headers: bearer(REGISTRATION_KEY),
    });
    await call('POST', `${wp.admin}/service`, {
      body: aRegistration({ port: 3002 }),
      headers: bearer(REGISTRATION_KEY),
    });
    instance = a.body;
    answer.mockClear();
  });
  afterAll(() => wp.cleanup());

  it('answers a plain read exactly as the controller answers the same read', async () => {
    const url = `${wp.admin}/services/user-service?tag=blue`;
    const fast = await call('GET', url, { headers: bearer(ADMIN_KEY) });
    // A long-poll on an index already passed answers at once, from the controller.
    const slow = await call('GET', `${url}&index=0`, { headers: bearer(ADMIN_KEY) });
    expect(await verdicts()).toEqual(['fast', 'controller']);
    expect(fast.status).toBe(200);
    expect(fast.text).toBe(slow.text);
    expect(fast.body.instances).toHaveLength(1);
    for (const name of ['content-type', 'x-waypost-index', 'content-length']) {
      expect(fast.headers.get(name)).toBe(slow.headers.get(name));
    }
    expect(fast.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('admits instance credentials as the guard does', async () => {
    const read = await call('GET', `${wp.admin}/services/user-service`, {
      headers: instanceHeaders(instance.serviceId, instance.token),
    });
    expect(read.status).toBe(200);
    expect(read.body.instances).toHaveLength(2);
    expect(await verdicts()).toEqual(['fast']);
  });

  it.each([
    ['no credentials', '/services/user-service', {}, 401, 'UNAUTHORIZED'],
    [
      'a wrong token',
      '/services/user-service',
      { authorization: 'Bearer nope' },
      401,
      'UNAUTHORIZED',
    ],
    ['a bad service type', '/services/bad%20type', bearer(ADMIN_KEY), 400, 'VALIDATION_FAILED'],
    [
      'a bad filter',
      '/services/user-service?status=SOON',
      bearer(ADMIN_KEY),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'an unknown key',
      '/services/user-service?colour=red',
      bearer(ADMIN_KEY),
      400,
      'VALIDATION_FAILED',
    ],
  ])('leaves %s to the controller, which refuses it', async (_, path, headers, status, code) => {
    const refused = await call('GET', `${wp.admin}${path}`, { headers });
    expect(refused.status).toBe(status);
    expect(refused.body.code).toBe(code);
    expect(await verdicts()).toEqual(['controller']);
  });

  it('is not asked about other routes or HEAD', async () => {
    expect((await call('GET', `${wp.admin}/services`, { headers: bearer(ADMIN_KEY) })).status).toBe(
      200,
    );
    const head = await fetch(`${wp.admin}/services/user-service`, {
      method: 'HEAD',
      headers: bearer(ADMIN_KEY),
    });
    expect(head.status).toBe(200);
    expect(await verdicts()).toEqual([]);
  });
});
