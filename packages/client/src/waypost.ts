import { EventEmitter } from 'node:events';
import type { Instance, Registration, RegisterInput } from './api.js';
import { toMs } from './duration.js';
import { WaypostError } from './errors.js';
import { ServiceWatch } from './service-watch.js';
import { backoffMs, pause, Transport } from './transport.js';

export interface WaypostOptions {
  /** The registry's admin URL, e.g. `http://registry:8081`. */
  url: string;
  /** Buys registrations (`REGISTRATION_KEY`). */
  registrationKey?: string;
  /** For discovery without a registration of one's own (an operator's tool, a gateway). */
  adminKey?: string;
  /** How often an instance without a ttl check asks whether the registry still knows it. */
  presenceEvery?: string | number;
  /** How long a first `instances()` waits for the registry. */
  discoveryTimeout?: string | number;
  fetch?: typeof fetch;
}

export interface ChangeEvent {
  serviceType: string;
  instances: Instance[];
}

export interface WaypostEvents {
  registered: [Instance];
  reregistered: [Instance];
  change: [ChangeEvent];
  error: [WaypostError];
}

const DEFAULT_PRESENCE_MS = 15_000;
const DEFAULT_DISCOVERY_TIMEOUT_MS = 5_000;

/**
 * A service's connection to Waypost: its registration kept alive (ttl heartbeats at a third of the
 * ttl, re-registration at once when the registry lost it), live discovery of the services it
 * calls, and a drain before it goes. See ../README.md.
 */
export class Waypost extends EventEmitter<WaypostEvents> {
  private readonly transport: Transport;
  private readonly watches = new Map<string, ServiceWatch>();
  private readonly turns = new Map<string, number>();
  private input: RegisterInput | null = null;
  private me: Instance | null = null;
  /** The instance's token: sent to the registry, never handed out (not in `instance`, not in events). */
  private token: string | null = null;
  private renewing: Promise<void> | null = null;
  private signalHandler: (() => void) | null = null;

  constructor(private readonly options: WaypostOptions) {
    super();
    this.transport = new Transport(options.url.replace(/\/+$/, ''), options.fetch ?? fetch);
  }

  /** This instance as the registry last answered it, once registered. */
  get instance(): Instance | null {
    return this.me;
  }

  /**
   * Registers, retrying with capped exponential back-off while the registry cannot be reached
   * (or answers 5xx); a refusal (4xx) fails at once. Then keeps the registration alive.
   */
  async register(input: RegisterInput): Promise<Instance> {
    this.input = input;
    const registration = await this.registerWithBackoff();
    this.emit('registered', registration);
    this.keepAlive();
    return registration;
  }

  /** UP instances of a service, from a cache one watch stream keeps live. */
  async instances(serviceType: string): Promise<Instance[]> {
    const all = await this.watchOf(serviceType).instances(this.discoveryTimeoutMs());
    return all.filter((instance) => instance.status === 'UP');
  }

  /** The next UP instance of a service, round robin. */
  async pick(serviceType: string): Promise<Instance> {
    const up = await this.instances(serviceType);
    if (up.length === 0) {
      throw new WaypostError(`no UP instance of ${serviceType}`, 503, 'NO_INSTANCE');
    }
    const turn = this.turns.get(serviceType) ?? 0;
    this.turns.set(serviceType, turn + 1);
    return up[turn % up.length] as Instance;
  }

  /** `pick` then `fetch`; a refused connection tries the next instance, each at most once. */
  async fetch(serviceType: string, path: string, init?: RequestInit): Promise<Response> {
    const up = await this.instances(serviceType);
    const first = this.turns.get(serviceType) ?? 0;
    this.turns.set(serviceType, first + 1);
    for (let i = 0; i < up.length; i++) {
      const instance = up[(first + i) % up.length] as Instance;
      try {
        return await (this.options.fetch ?? fetch)(instance.url + path, init);
      } catch (error) {
        if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw error;
      }
    }
    throw new WaypostError(`no instance of ${serviceType} took the connection`, 503, 'NO_INSTANCE');
  }

  /** `PATCH` to MAINTENANCE: the gateway sends no new traffic, discovery shows it drained. */
  async drain(): Promise<void> {
    const answer = await this.call('draining', 'PATCH', '', { status: 'MAINTENANCE' });
    this.me = answer;
  }

  /** `DELETE`: gone from the registry; heartbeats stop. */
  async deregister(): Promise<void> {
    this.input = null;
    try {
      await this.call('deregistering', 'DELETE');
    } catch (error) {
      if ((error as WaypostError).status !== 404) throw error;
    }
  }

  /** Ends every timer, stream and request of this client: the process can exit by itself. */
  close(): void {
    this.input = null;
    this.transport.close();
    if (this.signalHandler) {
      process.off('SIGTERM', this.signalHandler);
      process.off('SIGINT', this.signalHandler);
      this.signalHandler = null;
    }
  }

  /**
   * On SIGTERM or SIGINT: drain, wait `drainFor` (for callers that picked this instance to finish),
   * deregister, close, then `exit` (the default: exit the process; pass a function to do it yourself).
   */
  shutdownOnSignals({
    drainFor = '5s',
    exit = () => process.exit(0),
  }: { drainFor?: string | number; exit?: () => void } = {}): void {
    if (this.signalHandler) return;
    this.signalHandler = () => {
      void this.leave(toMs(drainFor)).finally(exit);
    };
    process.once('SIGTERM', this.signalHandler);
    process.once('SIGINT', this.signalHandler);
  }

  /** Drain, wait, deregister, close: what a rolling restart wants of an instance going away. */
  async leave(drainForMs: number): Promise<void> {
    if (this.me) {
      // Each step is tried even when the one before failed: a deregistration that goes through
      // is worth more than a drain that did not.
      let drained = true;
      try {
        await this.drain();
      } catch (error) {
        this.report(error as WaypostError);
        drained = false;
      }
      // Held on purpose: callers that picked this instance get their answers before it goes.
      if (drained) await new Promise((resolve) => setTimeout(resolve, drainForMs));
      await this.deregister().catch((error: WaypostError) => this.report(error));
    }
    this.close();
  }

  private watchOf(serviceType: string): ServiceWatch {
    let watch = this.watches.get(serviceType);
    if (!watch) {
      watch = new ServiceWatch(
        this.transport,
        serviceType,
        () => this.discoveryHeaders(),
        (instances) => this.emit('change', { serviceType, instances }),
        (error) => this.report(error),
      );
      this.watches.set(serviceType, watch);
    }
    return watch;
  }

  private async registerWithBackoff(): Promise<Instance> {
    if (!this.options.registrationKey) {
      throw new WaypostError('registering: no registrationKey given', 0, 'NO_REGISTRATION_KEY');
    }
    for (let attempt = 0; ; attempt++) {
      const input = this.input;
      if (!input || this.transport.closed) {
        throw new WaypostError('registering: the client is closed', 0, 'CLOSED');
      }
      try {
        const {
          token,
          serviceId: _id,
          ...instance
        } = await this.transport.json<Registration>(
          'registering',
          'POST',
          '/service',
          { authorization: `Bearer ${this.options.registrationKey}` },
          input,
        );
        this.token = token;
        this.me = instance;
        // A ttl instance that registers is alive: its first heartbeat makes it UP at once.
        if (input.healthCheck?.type === 'ttl') await this.beat();
        return this.me;
      } catch (error) {
        const status = (error as WaypostError).status;
        if (status !== 0 && status !== 429 && status < 500) throw error;
        this.report(error as WaypostError);
        await pause(backoffMs(attempt), this.transport.signal);
      }
    }
  }

  /** ttl instances heartbeat every third of their ttl; the others ask every `presenceEvery`. */
  private keepAlive(): void {
    if (this.renewing) return;
    this.renewing = (async () => {
      while (this.input && !this.transport.closed) {
        const ttl =
          this.input.healthCheck?.type === 'ttl' ? toMs(this.input.healthCheck.ttl ?? '30s') : null;
        await pause(ttl !== null ? ttl / 3 : this.presenceMs(), this.transport.signal);
        if (!this.input || this.transport.closed || !this.me) break;
        try {
          if (ttl !== null) await this.beat();
          else this.me = await this.call('checking the registration', 'GET');
        } catch (error) {
          const status = (error as WaypostError).status;
          if (status === 401 || status === 404) {
            // The registry lost this instance (a restart on an empty store): register again now.
            try {
              const again = await this.registerWithBackoff();
              this.emit('reregistered', again);
            } catch (failure) {
              this.report(failure as WaypostError);
            }
          } else {
            this.report(error as WaypostError);
          }
        }
      }
    })().finally(() => (this.renewing = null));
  }

  private async beat(): Promise<void> {
    const answer = await this.call('heartbeat', 'PUT', '/heartbeat');
    this.me = answer;
  }

  /** A call about this instance, as this instance. */
  private call(what: string, method: string, suffix = '', body?: unknown): Promise<Instance> {
    const me = this.requireRegistration(what);
    return this.transport.json<Instance>(
      what,
      method,
      `/service/${me.id}${suffix}`,
      this.instanceHeaders(),
      body,
    );
  }

  private requireRegistration(what: string): Instance {
    if (!this.me || this.token === null)
      throw new WaypostError(`${what}: not registered`, 0, 'NOT_REGISTERED');
    return this.me;
  }

  private instanceHeaders(): Record<string, string> {
    const me = this.requireRegistration('calling the registry');
    return { 'x-service-id': me.id, 'x-service-token': this.token as string };
  }

  /** Discovery asks as this instance once registered, else with the admin key. */
  private discoveryHeaders(): Record<string, string> {
    if (this.me) return this.instanceHeaders();
    if (this.options.adminKey) return { authorization: `Bearer ${this.options.adminKey}` };
    return {};
  }

  private presenceMs(): number {
    return this.options.presenceEvery !== undefined
      ? toMs(this.options.presenceEvery)
      : DEFAULT_PRESENCE_MS;
  }

  private discoveryTimeoutMs(): number {
    return this.options.discoveryTimeout !== undefined
      ? toMs(this.options.discoveryTimeout)
      : DEFAULT_DISCOVERY_TIMEOUT_MS;
  }

  /** Errors go to `error` listeners only: an emitter without one would throw them. */
  private report(error: WaypostError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
