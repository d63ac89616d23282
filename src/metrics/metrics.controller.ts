import { Controller, Get, Header } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAccess } from '../auth/auth.decorators';
import { FleetService } from '../fleet/fleet.service';
import { REGISTRY_EVENTS } from '../model/events';
import { INSTANCE_STATUSES } from '../model/instance';
import { RegistryService } from '../registry/registry.service';
import { GatewayStats } from '../proxy/gateway-stats';
import { family } from './prometheus-text';

/** `/metrics` in Prometheus text format, for operators (admin key). */
@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  private checksPassed = 0;
  private checksFailed = 0;

  constructor(
    private readonly registry: RegistryService,
    private readonly gateway: GatewayStats,
    private readonly fleet: FleetService,
  ) {}

  @OnEvent(REGISTRY_EVENTS.checkPassed)
  onPassed(): void {
    this.checksPassed++;
  }

  @OnEvent(REGISTRY_EVENTS.checkFailed)
  onFailed(): void {
    this.checksFailed++;
  }

  @Get()
  @AdminAccess()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Instances by status, routes, health checks and gateway answers' })
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  metrics(): string {
    const instances = [...this.registry.statusCounts()].flatMap(([serviceType, counts]) =>
      INSTANCE_STATUSES.map((status) => ({
        labels: { service_type: serviceType, status },
        value: counts[status],
      })),
    );
    return [
      family('waypost_node_info', 'gauge', "This node's name in the fleet.", [
        { labels: { node: this.fleet.nodeId }, value: 1 },
      ]),
      family(
        'waypost_node_checks',
        'gauge',
        'Instances each live node of the fleet checks (a single node: this one).',
        this.fleet
          .summary(this.registry.checkedCount())
          .map(({ id, checks }) => ({ labels: { node: id }, value: checks })),
      ),
      family(
        'waypost_instances',
        'gauge',
        'Registered instances by service type and status.',
        instances,
      ),
      family('waypost_routes', 'gauge', 'Routes, config file and registered.', [
        { value: this.registry.routeCount() },
      ]),
      family('waypost_health_checks_total', 'counter', 'Health check results.', [
        { labels: { result: 'passed' }, value: this.checksPassed },
        { labels: { result: 'failed' }, value: this.checksFailed },
      ]),
      family(
        'waypost_gateway_responses_total',
        'counter',
        'Gateway answers by status class.',
        [1, 2, 3, 4, 5].map((c) => ({
          labels: { code: `${c}xx` },
          value: this.gateway.byClass[c],
        })),
      ),
    ].join('');
  }
}
