import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CompatAccess, RegistrationAccess } from '../auth/auth.decorators';
import { CompatDeregisterDto, CompatRegisterDto } from './dto/compat-register.dto';
import { RegisterServiceDto } from './dto/register-service.dto';
import { locateUrl, toHealthCheckSpec } from './instance-input';
import { RegistryService } from './registry.service';
import { toRouteView } from './route-view';
import { toRouteSpec } from '../model/route-spec';

/** The two seed registries' APIs, answered from the one registry model, unchanged for their clients. */
@ApiTags('compatibility')
@Controller()
export class CompatController {
  constructor(private readonly registry: RegistryService) {}

  @Post('register')
  @HttpCode(200)
  @RegistrationAccess({ trustedNetworks: true })
  @ApiOperation({ summary: 'Route a host and path to one backend URL' })
  @ApiOkResponse({ description: '{"status": "registered", "host", "path", "backend"}' })
  @ApiConflictResponse({ description: '{"error": "route already exists"}' })
  async register(@Body() dto: CompatRegisterDto) {
    const { options = {} } = dto;
    const route = await this.registry.addBackendRoute(
      toRouteSpec({ ...options, host: dto.host, path: dto.path }, { backend: dto.backend }),
    );
    return {
      status: 'registered',
      host: dto.host,
      path: dto.path,
      backend: dto.backend,
      id: route.id,
    };
  }

  @Post('deregister')
  @HttpCode(200)
  @CompatAccess()
  @ApiOperation({ summary: 'Remove a route made by /register' })
  @ApiOkResponse({ description: '{"status": "deregistered", "host", "path"}' })
  @ApiNotFoundResponse({ description: 'No such route' })
  async deregister(@Body() dto: CompatDeregisterDto) {
    const spec = toRouteSpec({ host: dto.host, path: dto.path }, { backend: '' });
    await this.registry.removeBackendRoute(spec.host, spec.path);
    return { status: 'deregistered', host: dto.host, path: dto.path };
  }

  @Get('routes')
  @CompatAccess()
  @ApiOperation({ summary: 'Every route, whatever registered it' })
  @ApiOkResponse({
    description: '{"routes": [{"host", "path", "backend", "registered_at", ...}], "total"}',
  })
  routes() {
    const routes = this.registry.allRoutes().map(toRouteView);
    return { routes, total: routes.length };
  }

  @Post('internal/register-service')
  @HttpCode(200)
  @RegistrationAccess({ trustedNetworks: true })
  @ApiOperation({
    summary: 'Register a service by URL with its routes; again replaces url and routes',
  })
  @ApiOkResponse({
    description: '{"status": "registered", "service", "serviceId", "token", "routes"}',
  })
  async registerService(@Body() dto: RegisterServiceDto) {
    const specs = (dto.routes ?? []).map((route) => toRouteSpec(route, { service: dto.service }));
    const { instance, token, routes } = await this.registry.register(
      {
        serviceType: dto.service,
        ...locateUrl(dto.url),
        healthCheck: toHealthCheckSpec(undefined, dto.health_endpoint),
        metadata: {},
        tags: [],
        version: null,
        zone: null,
        weight: 1,
        origin: 'internal',
      },
      specs,
    );
    return {
      status: 'registered',
      service: instance.serviceType,
      serviceId: instance.id,
      token,
      routes: routes.map(toRouteView),
    };
  }
}
