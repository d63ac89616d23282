import { Controller, Get, Module, Param } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import type { Waypost } from '@waypost/client';
import { InjectWaypost, WaypostModule } from '@waypost/nestjs';
import { WaypostHealthIndicator } from '@waypost/nestjs/health';

@Controller()
class OrdersController {
  constructor(@InjectWaypost() private readonly waypost: Waypost) {}

  @Get('orders/:id')
  order(@Param('id') id: string) {
    return { id, servedBy: this.waypost.instance?.id ?? null, name: process.env.INSTANCE_NAME };
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly waypost: WaypostHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([]);
  }

  @Get('registry')
  @HealthCheck()
  registry() {
    return this.health.check([() => this.waypost.isHealthy()]);
  }
}

/** The five lines of the integration are the WaypostModule import below. */
@Module({
  imports: [
    ConfigModule.forRoot(),
    WaypostModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        url: config.getOrThrow<string>('WAYPOST_URL'),
        registrationKey: config.getOrThrow<string>('REGISTRATION_KEY'),
        drainFor: config.get<string>('DRAIN_FOR', '5s'),
        service: {
          serviceType: 'orders',
          host: '127.0.0.1',
          healthCheck: { type: 'http', path: '/health', interval: '1s' },
          routes: [{ path: '/orders/*' }],
        },
      }),
    }),
    TerminusModule,
  ],
  controllers: [OrdersController, HealthController],
  providers: [WaypostHealthIndicator],
})
export class AppModule {}
