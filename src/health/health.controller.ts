import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { FleetService } from '../fleet/fleet.service';
import { RegistryService } from '../registry/registry.service';
import { ServiceHealth, summarizeService } from './health-summary';
import { StoreHealthIndicator } from './store.health';

const VERSION: string = (require('../../package.json') as { version: string }).version; // eslint-disable-line @typescript-eslint/no-require-imports

/** Public by design: load balancers and orchestrators probe these without credentials. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly registry: RegistryService,
    private readonly health: HealthCheckService,
    private readonly store: StoreHealthIndicator,
    private readonly fleet: FleetService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Waypost and every registered service' })
  @ApiOkResponse({
    description: 'Always 200 while Waypost can serve',
    schema: {
      example: {
        status: 'healthy',
        service: 'waypost',
        version: VERSION,
        registered_routes: 2,
        node: 'gw-1:8081',
        nodes: [
          { id: 'gw-1:8081', checks: 412 },
          { id: 'gw-2:8081', checks: 398 },
        ],
        services: {
          sagjan: {
            status: 'UP',
            url: 'http://127.0.0.1:7812',
            last_ping: '2026-11-23T08:00:00.000Z',
            response_time_ms: 3,
            consecutive_failures: 0,
            instances: 1,
            up: 1,
          },
        },
      },
    },
  })
  summary() {
    const services: Record<string, ServiceHealth> = {};
    for (const type of this.registry.serviceTypes()) {
      services[type] = summarizeService(this.registry.instancesOf(type));
    }
    return {
      status: 'healthy',
      service: 'waypost',
      version: VERSION,
      registered_routes: this.registry.routeCount(),
      node: this.fleet.nodeId,
      // Each member with the instances it checks; a single node checks every one with a check.
      nodes: this.fleet.summary(this.registry.checkedCount()),
      services,
    };
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the store answers and Waypost is not shutting down' })
  ready() {
    return this.health.check([() => this.store.isHealthy('store')]);
  }
}
