import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { proxyConfig, serverConfig } from '../config/config.namespaces';
import { AdmissionRules } from './admission';
import { ApiKeys } from './api-keys';
import { RoutingService } from './routing.service';

/** What admission consults, built once: the route table's lookup, the client API keys, the scheme. */
@Injectable()
export class GatewayRules implements AdmissionRules {
  readonly apiKeys: ApiKeys;
  readonly match: AdmissionRules['match'];
  readonly proto: AdmissionRules['proto'];

  constructor(
    routing: RoutingService,
    @Inject(proxyConfig.KEY) proxy: ConfigType<typeof proxyConfig>,
    @Inject(serverConfig.KEY) server: ConfigType<typeof serverConfig>,
  ) {
    this.apiKeys = new ApiKeys(proxy.apiKeys);
    this.match = routing.match;
    this.proto = server.gatewayTls === null ? 'http' : 'https';
  }
}
