import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { proxyConfig } from '../config/config.namespaces';
import { AdmissionRules } from './admission';
import { ApiKeys } from './api-keys';
import { RoutingService } from './routing.service';

/** What admission consults, built once: the route table's lookup and the client API keys. */
@Injectable()
export class GatewayRules implements AdmissionRules {
  readonly apiKeys: ApiKeys;
  readonly match: AdmissionRules['match'];

  constructor(
    routing: RoutingService,
    @Inject(proxyConfig.KEY) proxy: ConfigType<typeof proxyConfig>,
  ) {
    this.apiKeys = new ApiKeys(proxy.apiKeys);
    this.match = routing.match;
  }
}
