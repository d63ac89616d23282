import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { toMs, Waypost } from '@waypost/client';
import type { AddressInfo, Server } from 'node:net';
import type { WaypostModuleOptions } from './options';
import { WAYPOST, WAYPOST_OPTIONS } from './tokens';

/**
 * Registers the app once its HTTP server listens (so never before it can answer), with the port
 * it really got; on shutdown (`app.enableShutdownHooks()` or `app.close()`) drains, waits
 * `drainFor`, deregisters, and closes the client.
 */
@Injectable()
export class WaypostLifecycle
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('Waypost');
  private registering: Promise<unknown> | null = null;

  constructor(
    @Inject(WAYPOST) private readonly waypost: Waypost,
    @Inject(WAYPOST_OPTIONS) private readonly options: WaypostModuleOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    const register = () => {
      const port = this.options.service.port ?? (server.address() as AddressInfo).port;
      this.registering = this.waypost
        .register({ ...this.options.service, port })
        .then((instance) =>
          this.logger.log(`registered ${instance.serviceType} ${instance.url} as ${instance.id}`),
        )
        .catch((error: Error) => this.logger.error(`not registered: ${error.message}`));
    };
    if (server.listening) register();
    else server.once('listening', register);
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Still trying to register (the registry is away): stop trying, there is nothing to leave.
    if (!this.waypost.instance) {
      this.waypost.close();
      await this.registering;
      return;
    }
    await this.waypost.leave(toMs(this.options.drainFor ?? '5s'));
    this.logger.log('drained and deregistered');
  }

  onApplicationShutdown(): void {
    this.waypost.close();
  }
}
