import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { FleetService } from '../fleet/fleet.service';
import { INSTANCE_STATUSES } from '../model/instance';
import { RegistryService } from '../registry/registry.service';
import { Telemetry } from '../telemetry/telemetry';
import { WatchersService } from '../watch/watchers.service';

/**
 * Series read from state when Prometheus scrapes, not kept up to date on every change: instances
 * by service and status, routes, open watch streams, and this node's place in the fleet.
 */
@Injectable()
export class StateGauges implements OnModuleInit {
  constructor(
    private readonly telemetry: Telemetry,
    private readonly registry: RegistryService,
    private readonly watchers: WatchersService,
    private readonly fleet: FleetService,
  ) {}

  onModuleInit(): void {
    const registers = [this.telemetry.registry];
    const { registry, watchers, fleet } = this;
    new Gauge({
      name: 'waypost_instances',
      help: 'Registered instances by service and status.',
      labelNames: ['service', 'status'] as const,
      registers,
      collect() {
        this.reset();
        for (const [service, counts] of registry.statusCounts())
          for (const status of INSTANCE_STATUSES) this.set({ service, status }, counts[status]);
      },
    });
    new Gauge({
      name: 'waypost_routes',
      help: 'Routes, from the config file and registered.',
      registers,
      collect() {
        this.set(registry.routeCount());
      },
    });
    new Gauge({
      name: 'waypost_watchers',
      help: 'Open watch streams (service watches and /events).',
      registers,
      collect() {
        this.set(watchers.count);
      },
    });
    new Gauge({
      name: 'waypost_node_info',
      help: "This node's name in the fleet.",
      labelNames: ['node'] as const,
      registers,
      collect() {
        this.set({ node: fleet.nodeId }, 1);
      },
    });
    new Gauge({
      name: 'waypost_node_checks',
      help: 'Instances each live node of the fleet checks (a single node: this one).',
      labelNames: ['node'] as const,
      registers,
      collect() {
        this.reset();
        for (const { id, checks } of fleet.summary(registry.checkedCount()))
          this.set({ node: id }, checks);
      },
    });
  }
}
