import { hostname } from 'node:os';
import { parseSettings, SettingsError } from './settings.schema';

function problemsOf(env: Record<string, string>, file: Record<string, unknown> = {}): string[] {
  try {
    parseSettings({ env, file, fileName: 'waypost.yaml' });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
}

describe('parseSettings', () => {
  it('gives the contract defaults when nothing is set', () => {
    const settings = parseSettings({ env: {}, file: {} });
    expect(settings.server).toMatchObject({
      host: '0.0.0.0',
      adminPort: 8081,
      gatewayPort: 8080,
      logLevel: 'info',
      logFormat: 'json',
      accessLog: false,
      heapTrim: true,
      nodeId: `${hostname()}:8081`,
      nodeTtlMs: 10_000,
    });
    expect(settings.store).toEqual({
      kind: 'sqlite',
      dataDir: './data',
      etcd: {
        endpoints: ['http://127.0.0.1:2379'],
        prefix: '/waypost/',
        username: null,
        password: null,
        caFile: null,
      },
    });
    expect(settings.health).toEqual({
      intervalMs: 10_000,
      timeoutMs: 2_000,
      unhealthyThreshold: 3,
      healthyThreshold: 1,
      downIntervalMs: 120_000,
      stopChecksAfter: 10,
      deregisterAfterMs: null,
      concurrency: 64,
    });
    expect(settings.auth).toMatchObject({
      registrationKey: null,
      adminKey: null,
      trustedNetworks: [],
      registrationAllowFrom: null,
      registrationRateLimit: 60,
    });
  });

  it('takes env over the file over defaults', () => {
    const settings = parseSettings({
      env: { HEALTH_CHECK_INTERVAL: '5s' },
      file: { HEALTH_CHECK_INTERVAL: '7s', HEALTH_CHECK_TIMEOUT: 1500, UNHEALTHY_THRESHOLD: 4 },
    });
    expect(settings.health.intervalMs).toBe(5_000);
    expect(settings.health.timeoutMs).toBe(1_500);
    expect(settings.health.unhealthyThreshold).toBe(4);
  });

  it('accepts SERVICE_REGISTRATION_KEY as an alias', () => {
    const settings = parseSettings({ env: { SERVICE_REGISTRATION_KEY: 'k'.repeat(20) }, file: {} });
    expect(settings.auth.registrationKey).toBe('k'.repeat(20));
  });

  it('names each bad setting on its own line', () => {
    const problems = problemsOf({
      HEALTH_CHECK_INTERVAL: 'soon',
      ADMIN_PORT: '70000',
      STORE: 'mongo',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^ADMIN_PORT: must be a whole number from 0 to 65535$/),
      expect.stringMatching(/^STORE: must be one of sqlite, memory, etcd$/),
      expect.stringMatching(/^HEALTH_CHECK_INTERVAL: must be a duration/),
    ]);
  });

  it('never echoes a bad secret', () => {
    const problems = problemsOf({ REGISTRATION_KEY: 'short secret' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REGISTRATION_KEY:/);
    expect(problems[0]).not.toContain('short secret');
  });

  it('turns the idle heap trim off with HEAP_TRIM=false', () => {
    expect(parseSettings({ env: { HEAP_TRIM: 'false' }, file: {} }).server.heapTrim).toBe(false);
    expect(problemsOf({ HEAP_TRIM: 'sometimes' })).toEqual(['HEAP_TRIM: must be true or false']);
  });

  it('reads the logging settings and METRICS_TOKEN, which may open nothing but /metrics', () => {
    const settings = parseSettings({
      env: { LOG_FORMAT: 'pretty', ACCESS_LOG: 'true', METRICS_TOKEN: 'scraper-token-0123456789' },
      file: {},
    });
    expect(settings.server).toMatchObject({ logFormat: 'pretty', accessLog: true });
    expect(settings.auth.metricsToken).toBe('scraper-token-0123456789');
    expect(problemsOf({ LOG_FORMAT: 'xml' })).toEqual(['LOG_FORMAT: must be one of json, pretty']);
    expect(problemsOf({ ACCESS_LOG: 'yes' })).toEqual(['ACCESS_LOG: must be true or false']);
    const same = 'one-key-for-two-uses-0123';
    const problems = problemsOf({ ADMIN_KEY: same, METRICS_TOKEN: same });
    expect(problems).toEqual(['METRICS_TOKEN: must differ from ADMIN_KEY and REGISTRATION_KEY']);
  });

  it('refuses bad CIDRs, same ports and unknown file keys', () => {
    expect(problemsOf({ TRUSTED_NETWORKS: '10.0.0.0/8,not-a-cidr' })[0]).toMatch(
      /^TRUSTED_NETWORKS: "not-a-cidr"/,
    );
    expect(problemsOf({ ADMIN_PORT: '9000', GATEWAY_PORT: '9000' })).toEqual([
      'GATEWAY_PORT: must differ from ADMIN_PORT',
    ]);
    expect(problemsOf({}, { HEALTHCHECK_INTERVAL: '5s' })).toEqual([
      'waypost.yaml: unknown key HEALTHCHECK_INTERVAL',
    ]);
  });

  it('wants the TLS pair whole, and TLS and a port of its own for the redirect listener', () => {
    expect(problemsOf({ GATEWAY_TLS_CERT: '/c.pem' })).toEqual([
      'GATEWAY_TLS_KEY: must be set with GATEWAY_TLS_CERT',
    ]);
    expect(problemsOf({ GATEWAY_TLS_KEY: '/k.pem' })).toEqual([
      'GATEWAY_TLS_CERT: must be set with GATEWAY_TLS_KEY',
    ]);
    expect(problemsOf({ GATEWAY_HTTP_REDIRECT_PORT: '80' })).toEqual([
      'GATEWAY_HTTP_REDIRECT_PORT: needs GATEWAY_TLS_CERT and GATEWAY_TLS_KEY, or GATEWAY_TLS_DIR',
    ]);
    expect(
      problemsOf({
        GATEWAY_TLS_DIR: '/certs',
        GATEWAY_PORT: '443',
        GATEWAY_HTTP_REDIRECT_PORT: '443',
      }),
    ).toEqual([
      'GATEWAY_HTTP_REDIRECT_PORT: must differ from ADMIN_PORT, GATEWAY_PORT and CONSUL_PORT',
    ]);
    const tls = parseSettings({
      env: { GATEWAY_TLS_DIR: '/certs', GATEWAY_HTTP_REDIRECT_PORT: '80' },
      file: {},
    });
    expect(tls.server.gatewayTls).toEqual({ certFile: null, keyFile: null, dir: '/certs' });
    expect(tls.server.httpRedirectPort).toBe(80);
    expect(parseSettings({ env: {}, file: {} }).server.gatewayTls).toBeNull();
  });

  it('reads TRUSTED_NETWORKS and REGISTRATION_ALLOW_FROM for both families', () => {
    const settings = parseSettings({
      env: { TRUSTED_NETWORKS: '127.0.0.1/32, ::1/128', REGISTRATION_ALLOW_FROM: '10.0.0.0/8' },
      file: {},
    });
    expect(settings.auth.trustedNetworks).toEqual(['127.0.0.1/32', '::1/128']);
    expect(settings.auth.registrationAllowFrom).toEqual(['10.0.0.0/8']);
  });

  it('reads the etcd settings and refuses what is no client URL or prefix, never echoing a password', () => {
    const settings = parseSettings({
      env: {
        STORE: 'etcd',
        ETCD_ENDPOINTS: 'http://10.0.0.1:2379, https://10.0.0.2:2379',
        ETCD_PREFIX: '/team-a/waypost/',
        NODE_ID: 'gw-1',
        NODE_TTL: '5s',
      },
      file: {},
    });
    expect(settings.store.etcd.endpoints).toEqual([
      'http://10.0.0.1:2379',
      'https://10.0.0.2:2379',
    ]);
    expect(settings.store.etcd.prefix).toBe('/team-a/waypost/');
    expect(settings.server).toMatchObject({ nodeId: 'gw-1', nodeTtlMs: 5_000 });
    const bad = () =>
      parseSettings({
        env: {
          ETCD_ENDPOINTS: 'etcd:2379',
          ETCD_PREFIX: 'waypost',
          ETCD_PASSWORD: 'x'.repeat(300),
          NODE_TTL: '500ms',
        },
        file: {},
      });
    expect(bad).toThrow(/ETCD_ENDPOINTS: "etcd:2379" is not a client URL/);
    expect(bad).toThrow(/ETCD_PREFIX: must start and end with \//);
    expect(bad).toThrow(/NODE_TTL: must be from 2000ms/);
    expect(bad).toThrow(/ETCD_PASSWORD: must be at most 256/);
    expect(bad).not.toThrow(/xxxxxxxx/);
  });

  it('turns DEREGISTER_AFTER off or into milliseconds', () => {
    expect(
      parseSettings({ env: { DEREGISTER_AFTER: 'off' }, file: {} }).health.deregisterAfterMs,
    ).toBeNull();
    expect(
      parseSettings({ env: { DEREGISTER_AFTER: '10m' }, file: {} }).health.deregisterAfterMs,
    ).toBe(600_000);
  });

  it('holds every key to one rule: 16-512 printable characters, settings and client API keys alike', () => {
    const apiKey = (key: string) => ({ apiKeys: [{ name: 'web', key, permissions: ['a:b'] }] });
    expect(problemsOf({ ADMIN_KEY: 'a'.repeat(512) })).toEqual([]);
    expect(problemsOf({}, apiKey('k'.repeat(512)))).toEqual([]);
    expect(problemsOf({ ADMIN_KEY: 'a'.repeat(513) })).toEqual([
      'ADMIN_KEY: must be 16-512 printable characters without spaces',
    ]);
    expect(problemsOf({}, apiKey('k'.repeat(15)))).toEqual([
      'waypost.yaml apiKeys: key web: key must be 16-512 printable characters without spaces',
    ]);
  });

  it('parses the routes, apiKeys and services sections of the file', () => {
    const settings = parseSettings({
      env: {},
      file: {
        routes: [
          {
            host: 'API.example.com',
            path: '/v1/',
            backend: 'http://10.0.0.1:9000',
            methods: ['get'],
          },
        ],
        apiKeys: [{ name: 'web', key: 'w'.repeat(24), permissions: ['comments:read'] }],
        services: { sagjan: { permissions: ['comments:read'] } },
      },
    });
    expect(settings.proxy.routes).toEqual([
      expect.objectContaining({
        host: 'api.example.com',
        path: '/v1',
        target: { backend: 'http://10.0.0.1:9000' },
      }),
    ]);
    expect(settings.proxy.apiKeys[0].name).toBe('web');
    expect(settings.proxy.servicePermissions).toEqual({ sagjan: ['comments:read'] });
  });

  it('takes a redirect route without a target, and refuses a bad edge option naming it', () => {
    const settings = parseSettings({
      env: {},
      file: { routes: [{ path: '/old', redirect: { to: 'https://new.example.com${path}' } }] },
    });
    expect(settings.proxy.routes[0]).toMatchObject({
      target: { gateway: true },
      options: { redirect: { to: 'https://new.example.com${path}', status: 302 } },
    });
    expect(
      problemsOf({}, { routes: [{ path: '/a', service: 'a', max_body_size: '1tb' }] })[0],
    ).toMatch(/^waypost.yaml routes: route 0: max_body_size must be bytes or a size/);
    expect(
      problemsOf({}, { routes: [{ path: '/a', service: 'a', compression: { level: 9 } }] })[0],
    ).toMatch(/^waypost.yaml routes: route 0: compression.level: property level should not exist/);
  });

  it('refuses a config route with both or neither target, naming the route', () => {
    expect(problemsOf({}, { routes: [{ path: '/a' }] })[0]).toBe(
      'waypost.yaml routes: route 0: give exactly one of backend or service (or a redirect)',
    );
    expect(
      problemsOf({}, { routes: [{ path: '/a', backend: 'http://127.0.0.1:1', service: 'a' }] })[0],
    ).toBe('waypost.yaml routes: route 0: give exactly one of backend or service');
    expect(problemsOf({}, { routes: [{ path: 'x', service: 'a' }] })[0]).toMatch(
      /^waypost.yaml routes: route 0: path/,
    );
  });
});
