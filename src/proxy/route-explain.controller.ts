import { Controller, Get, Headers, Query, Req } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAccess } from '../auth/auth.decorators';
import { RegistryService } from '../registry/registry.service';
import { ExplainQueryDto } from './explain.query.dto';
import { GatewayRules } from './gateway-rules';
import { InFlight } from './in-flight';
import { unmapIpv4 } from './request-target';
import { explainRoute } from './route-explain';
import { RoutingService } from './routing.service';

/** "Why did /users/42 get a 503?": the gateway's own answer to that, on the admin port. */
@ApiTags('gateway')
@Controller('routes')
export class RouteExplainController {
  constructor(
    private readonly registry: RegistryService,
    private readonly routing: RoutingService,
    private readonly rules: GatewayRules,
    private readonly inFlight: InFlight,
  ) {}

  @Get('explain')
  @AdminAccess()
  @ApiOperation({
    summary: 'What the gateway would do with a request, without sending it or moving a balancer',
    description:
      '`{"match", "candidates": [{route, "matches", "why"}], "target", "instances": [{"id", "url", ' +
      '"status", "eligible", "why"}], "next", "load_balancer", "permission", "rate_limit", "answer"}`. ' +
      "An X-API-Key header on this call is taken as the client's key; the caller's address as its IP.",
  })
  @ApiHeader({ name: 'X-API-Key', required: false, description: "The client's API key, if any" })
  @ApiOkResponse({ description: 'The explanation' })
  explain(
    @Query() query: ExplainQueryDto,
    @Headers('x-api-key') apiKey: string | undefined,
    @Req() request: FastifyRequest,
  ) {
    return explainRoute(
      {
        method: query.method ?? 'GET',
        host: query.host,
        path: query.path,
        apiKey,
        clientIp: unmapIpv4(request.socket.remoteAddress ?? ''),
      },
      {
        routes: this.registry.allRoutes(),
        match: this.routing.match,
        candidates: (runtime) => this.routing.candidates(runtime),
        instancesOf: (service) => this.registry.instancesOf(service),
        apiKeys: this.rules.apiKeys,
        inFlight: this.inFlight.of,
        now: Date.now(),
      },
    );
  }
}
