import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  InstanceAccessRequired,
  RegistrationAccess,
  VerifiedTokenHash,
} from '../auth/auth.decorators';
import { ADMIN_IDLE_SOCKET_MS, setIdleLimit } from '../common/admin-limits';
import { ServiceTypePipe } from '../common/validation';
import { DISCOVERY_CONTENT_TYPE, discoveryAnswer, INDEX_HEADER } from './discovery-answer';
import {
  InstanceHistoryResponseDto,
  InstanceResponseDto,
  RegistrationResponseDto,
  ServiceInstancesResponseDto,
  ServicesSummaryResponseDto,
} from './dto/instance.response.dto';
import { DEFAULT_WAIT_MS, ListInstancesQueryDto } from './dto/list-instances.query.dto';
import { PatchInstanceDto } from './dto/patch-instance.dto';
import { RegisterInstanceDto } from './dto/register-instance.dto';
import { toInstanceInput } from './instance-input';
import { toInstanceView } from '../model/instance';
import { RegistryService } from './registry.service';
import { toRouteView } from './route-view';
import { toRouteSpec } from '../model/route-spec';

/** The native registry API. */
@ApiTags('registry')
@Controller()
export class ServicesController {
  constructor(private readonly registry: RegistryService) {}

  @Post('service')
  @HttpCode(201)
  @RegistrationAccess({ trustedNetworks: false })
  @ApiOperation({ summary: 'Register an instance; answers its id and token (shown only here)' })
  @ApiCreatedResponse({ type: RegistrationResponseDto })
  async register(@Body() dto: RegisterInstanceDto, @Req() request: FastifyRequest) {
    const input = toInstanceInput(dto, request.socket.remoteAddress);
    const specs = (dto.routes ?? []).map((route) =>
      toRouteSpec(route, { service: input.serviceType }),
    );
    const { instance, token, routes } = await this.registry.register(input, specs);
    return {
      serviceId: instance.id,
      token,
      ...toInstanceView(instance),
      routes: routes.map(toRouteView),
    };
  }

  @Get('services')
  @InstanceAccessRequired('any')
  @ApiOperation({ summary: 'Every service type with its instance counts' })
  @ApiOkResponse({ type: ServicesSummaryResponseDto })
  summary() {
    const services: Record<string, { instances: number; up: number }> = {};
    for (const [type, counts] of this.registry.statusCounts()) {
      services[type] = { instances: counts.total, up: counts.UP };
    }
    return { services };
  }

  @Get('services/:serviceType')
  @InstanceAccessRequired('any')
  @ApiOperation({
    summary: 'Discover the instances of a service; with `index` (and `wait`), a long-poll',
  })
  @ApiOkResponse({
    type: ServiceInstancesResponseDto,
    headers: { [INDEX_HEADER]: { description: "Index of the service's last change" } },
  })
  @Header('content-type', DISCOVERY_CONTENT_TYPE)
  async list(
    @Param('serviceType', ServiceTypePipe) serviceType: string,
    @Query() query: ListInstancesQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { index, wait, ...filter } = query;
    // A long-poll waits on the change log for this service only, never on unrelated writes.
    if (index !== undefined) {
      const waitMs = wait ?? DEFAULT_WAIT_MS;
      setIdleLimit(reply.raw.socket, waitMs + ADMIN_IDLE_SOCKET_MS);
      await this.registry.changes.changeAfter(serviceType, index, waitMs);
      setIdleLimit(reply.raw.socket, ADMIN_IDLE_SOCKET_MS);
    }
    // A plain read (no long-poll) was answered by DiscoveryFastPath before it got here, unless
    // Nest's pipeline must answer it (bad input, wrong credentials, HEAD).
    return discoveryAnswer(this.registry, serviceType, filter, reply);
  }

  @Get('service/:id')
  @InstanceAccessRequired('any')
  @ApiOperation({ summary: 'One instance' })
  @ApiOkResponse({ type: InstanceResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown id' })
  get(@Param('id') id: string) {
    return toInstanceView(this.registry.getInstance(id));
  }

  @Get('service/:id/history')
  @InstanceAccessRequired('any')
  @ApiOperation({
    summary: "The instance's last 100 status changes and failed checks, newest first",
  })
  @ApiOkResponse({ type: InstanceHistoryResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown id' })
  history(@Param('id') id: string) {
    return { serviceId: id, history: this.registry.historyOf(id) };
  }

  @Delete('service/:id')
  @InstanceAccessRequired('self')
  @ApiOperation({ summary: 'Deregister; the routes the instance brought go with it' })
  @ApiOkResponse({ description: '{"status": "deregistered", "serviceId"}' })
  @ApiNotFoundResponse({ description: 'Unknown id' })
  async remove(@Param('id') id: string, @VerifiedTokenHash() heldTokenHash: string | undefined) {
    const instance = await this.registry.removeInstance(id, 'deregistration', heldTokenHash);
    return { status: 'deregistered', serviceId: instance.id, serviceType: instance.serviceType };
  }

  @Put('service/:id/heartbeat')
  @InstanceAccessRequired('self-only')
  @ApiOperation({ summary: 'Renew a ttl check; restart checks that had stopped' })
  @ApiOkResponse({ type: InstanceResponseDto })
  async heartbeat(@Param('id') id: string, @VerifiedTokenHash() heldTokenHash: string | undefined) {
    return toInstanceView(await this.registry.heartbeat(id, heldTokenHash));
  }

  @Patch('service/:id')
  @InstanceAccessRequired('self')
  @ApiOperation({ summary: 'Drain (MAINTENANCE) or undrain (UP); change metadata or weight' })
  @ApiOkResponse({ type: InstanceResponseDto })
  async patch(
    @Param('id') id: string,
    @Body() dto: PatchInstanceDto,
    @VerifiedTokenHash() heldTokenHash: string | undefined,
  ) {
    return toInstanceView(await this.registry.patchInstance(id, dto, heldTokenHash));
  }
}
