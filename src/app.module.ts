import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AuthModule } from './auth/auth.module';
import { ConsulModule } from './consul/consul.module';
import { configModuleFor } from './config/config.namespaces';
import { Settings } from './config/settings';
import { DashboardModule } from './dashboard/dashboard.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import type { Logger as Pino } from 'pino';
import { HealthMonitorModule } from './health-monitor/health-monitor.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProxyModule } from './proxy/proxy.module';
import { RegistryModule } from './registry/registry.module';
import { RuntimeModule } from './runtime/runtime.module';
import { TlsMaterial, TlsModule } from './tls/tls.module';
import { WatchModule } from './watch/watch.module';

/** Imports the feature modules, bound to one app's validated settings. */
@Module({})
export class AppModule {
  static forRoot(settings: Settings, logger: Pino, tls: TlsMaterial): DynamicModule {
    return {
      module: AppModule,
      imports: [
        configModuleFor(settings),
        EventEmitterModule.forRoot(),
        LoggingModule.forRoot(logger),
        TlsModule.forRoot(tls),
        AuthModule,
        RegistryModule,
        HealthMonitorModule,
        HealthModule.forRoot({ shutdownDelayMs: settings.server.shutdownDelayMs }),
        ProxyModule,
        MetricsModule,
        WatchModule,
        ConsulModule,
        DashboardModule,
        RuntimeModule,
      ],
    };
  }
}
