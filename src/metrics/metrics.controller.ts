import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { MetricsAccess } from '../auth/auth.decorators';
import { Telemetry } from '../telemetry/telemetry';

/** `/metrics`: this app's prom-client registry in Prometheus' text format. */
@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly telemetry: Telemetry) {}

  @Get()
  @MetricsAccess()
  @ApiOperation({
    summary: 'Process, registry, health-check and gateway series (admin key or METRICS_TOKEN)',
  })
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const { registry } = this.telemetry;
    const body = await registry.metrics();
    await reply.header('content-type', registry.contentType).send(body);
  }
}
