import {
  Controller,
  Get,
  Inject,
  Param,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { NetworkPolicyService } from '../auth/network-policy.service';
import { ADMIN_IDLE_SOCKET_MS, setIdleLimit } from '../common/admin-limits';
import { AppError } from '../common/errors/app-error';
import { parseJsonBody } from '../common/json-body';
import { serverConfig } from '../config/config.namespaces';
import type { CheckStatus } from '../model/check';
import { InstanceRecord } from '../model/instance';
import { ANY_SERVICE } from '../registry/change-feed';
import { RegistryService } from '../registry/registry.service';
import { indexOf, waitOf } from './blocking-query';
import { ConsulAuthGuard } from './consul-auth.guard';
import { ConsulErrorsFilter } from './consul-errors.filter';
import { consulRegistration } from './consul-registration';
import {
  agentServices,
  allPassing,
  catalogEntry,
  catalogServices,
  consulChecks,
  ConsulNode,
  consulOrder,
  hasTags,
  healthEntry,
} from './consul-view';

type QueryParams = Record<string, string | string[] | undefined>;
const TTL_STATUSES: Record<string, CheckStatus> = {
  pass: 'passing',
  warn: 'warning',
  fail: 'critical',
};

/**
 * The subset of Consul's HTTP API that service start-up scripts, Prometheus' consul_sd_config and
 * catalog readers use, over Waypost's registry. Writes answer exactly 200 with an empty body and
 * accept GET too (python-consul 0.7.1 sends GET); every read answers X-Consul-Index and blocks
 * with `?index=` until its own answer changes.
 */
@ApiExcludeController()
@Controller('v1')
@UseGuards(ConsulAuthGuard)
@UseFilters(ConsulErrorsFilter)
export class ConsulController {
  private readonly node: ConsulNode;

  constructor(
    private readonly registry: RegistryService,
    private readonly network: NetworkPolicyService,
    @Inject(serverConfig.KEY) server: ConfigType<typeof serverConfig>,
  ) {
    const id = createHash('sha256').update(server.nodeId).digest('hex');
    this.node = {
      name: server.nodeId,
      id: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
      address: server.host === '0.0.0.0' || server.host === '::' ? '127.0.0.1' : server.host,
      datacenter: server.consulDatacenter,
    };
  }

  @Put('agent/service/register')
  async register(@Req() request: FastifyRequest): Promise<string> {
    // A registration like any other: REGISTRATION_ALLOW_FROM, then the rate limit.
    this.network.admitRegistration(request.socket.remoteAddress);
    const input = consulRegistration(bodyOf(request), request.socket.remoteAddress);
    await this.registry.register(input, []);
    return '';
  }

  @Put('agent/service/deregister/:id')
  async deregister(@Param('id') id: string): Promise<string> {
    this.consulInstance(id);
    await this.registry.removeInstance(id);
    return '';
  }

  @Put('agent/service/maintenance/:id')
  async maintenance(@Param('id') id: string, @Query() query: QueryParams): Promise<string> {
    const enable = query.enable;
    if (enable !== 'true' && enable !== 'false') {
      throw new AppError('VALIDATION_FAILED', 'Missing value for enable');
    }
    this.consulInstance(id);
    await this.registry.patchInstance(id, { status: enable === 'true' ? 'MAINTENANCE' : 'UP' });
    return '';
  }

  @Put('agent/check/:verb(pass|warn|fail)/:checkId')
  async tell(
    @Param('verb') verb: string,
    @Param('checkId') checkId: string,
    @Query() query: QueryParams,
  ): Promise<string> {
    const note = typeof query.note === 'string' ? query.note.slice(0, 4096) : '';
    await this.registry.tellCheck(checkId, TTL_STATUSES[verb] as CheckStatus, note);
    return '';
  }

  // python-consul 0.7.1 writes with GET: the same writes, routed again (a Nest handler has one method).
  @Get('agent/service/register')
  registerByGet(@Req() request: FastifyRequest): Promise<string> {
    return this.register(request);
  }

  @Get('agent/service/deregister/:id')
  deregisterByGet(@Param('id') id: string): Promise<string> {
    return this.deregister(id);
  }

  @Get('agent/service/maintenance/:id')
  maintenanceByGet(@Param('id') id: string, @Query() query: QueryParams): Promise<string> {
    return this.maintenance(id, query);
  }

  @Get('agent/check/:verb(pass|warn|fail)/:checkId')
  tellByGet(
    @Param('verb') verb: string,
    @Param('checkId') checkId: string,
    @Query() query: QueryParams,
  ): Promise<string> {
    return this.tell(verb, checkId, query);
  }

  @Put('agent/check/update/:checkId')
  async update(@Param('checkId') checkId: string, @Req() request: FastifyRequest): Promise<string> {
    const body = (bodyOf(request) ?? {}) as Record<string, unknown>;
    const status = body.Status ?? body.status;
    if (status !== 'passing' && status !== 'warning' && status !== 'critical') {
      throw new AppError(
        'VALIDATION_FAILED',
        'Invalid check status: must be passing, warning or critical',
      );
    }
    const output = body.Output ?? body.output ?? '';
    await this.registry.tellCheck(checkId, status, String(output).slice(0, 4096));
    return '';
  }

  @Get('agent/services')
  agentServices(@Query() query: QueryParams, @Res() reply: FastifyReply): Promise<void> {
    return this.answer(reply, query, ANY_SERVICE, () =>
      agentServices(this.consulInstances(), this.node),
    );
  }

  @Get('agent/self')
  agentSelf(@Res() reply: FastifyReply): Promise<void> {
    return this.answer(reply, {}, ANY_SERVICE, () => ({
      Config: {
        Datacenter: this.node.datacenter,
        NodeName: this.node.name,
        NodeID: this.node.id,
        Server: true,
        Version: '1.15.0',
      },
      Member: { Name: this.node.name, Addr: this.node.address, Port: 8301, Status: 1 },
      Meta: {},
    }));
  }

  @Get('status/leader')
  leader(@Res() reply: FastifyReply): Promise<void> {
    return this.answer(reply, {}, ANY_SERVICE, () => `${this.node.address}:8300`);
  }

  @Get('catalog/services')
  catalogServices(@Query() query: QueryParams, @Res() reply: FastifyReply): Promise<void> {
    return this.answer(reply, query, ANY_SERVICE, () =>
      catalogServices(
        this.registry.serviceTypes().map((type) => [type, this.registry.instancesOf(type)]),
      ),
    );
  }

  @Get('catalog/service/:name')
  catalogService(
    @Param('name') name: string,
    @Query() query: QueryParams,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.answer(reply, query, name, (index) =>
      this.instancesFor(name, query).map((instance) => catalogEntry(instance, this.node, index)),
    );
  }

  @Get('health/service/:name')
  healthService(
    @Param('name') name: string,
    @Query() query: QueryParams,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const passing = query.passing !== undefined && query.passing !== 'false';
    return this.answer(reply, query, name, (index) =>
      this.instancesFor(name, query)
        .map((instance) => healthEntry(instance, this.node, index))
        .filter((entry) => !passing || allPassing(entry.Checks)),
    );
  }

  @Get('health/checks/:name')
  healthChecks(
    @Param('name') name: string,
    @Query() query: QueryParams,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.answer(reply, query, name, (index) =>
      this.instancesFor(name, {}).flatMap((instance) => consulChecks(instance, this.node, index)),
    );
  }

  /**
   * Answers a read with its index; with `?index=N` it first waits until this query's own answer
   * is different from the one at N, or `wait` (plus jitter) ran out. A change that leaves the
   * answer alone (another instance's bookkeeping, a filtered-out tag) goes on waiting.
   */
  private async answer(
    reply: FastifyReply,
    query: QueryParams,
    key: string,
    build: (index: number) => unknown,
  ): Promise<void> {
    const changes = this.registry.changes;
    let index = Math.max(1, changes.indexOf(key));
    let body = JSON.stringify(build(index));
    const asked = indexOf(query.index);
    if (asked !== null && asked >= index) {
      const waitMs = waitOf(query.wait);
      const until = Date.now() + waitMs;
      setIdleLimit(reply.raw.socket, waitMs + ADMIN_IDLE_SOCKET_MS);
      const first = body;
      let after = asked;
      while (Date.now() < until) {
        const moved = await changes.changeAfter(key, after, until - Date.now());
        index = Math.max(1, changes.indexOf(key));
        body = JSON.stringify(build(index));
        if (moved === null || stripIndexes(body) !== stripIndexes(first)) break;
        after = moved;
      }
    }
    void reply
      .header('x-consul-index', String(index))
      .header('x-consul-knownleader', 'true')
      .header('x-consul-lastcontact', '0')
      .type('application/json; charset=utf-8')
      .send(body);
  }

  private instancesFor(name: string, query: QueryParams): InstanceRecord[] {
    const tags = query.tag === undefined ? [] : ([] as string[]).concat(query.tag);
    return consulOrder(this.registry.instancesOf(name)).filter((instance) =>
      hasTags(instance, tags),
    );
  }

  private *consulInstances(): Iterable<InstanceRecord> {
    for (const instance of this.registry.allInstances()) yield instance;
  }

  /** The agent endpoints change instances by Consul ID; an unknown one is Consul's 404. */
  private consulInstance(id: string): InstanceRecord {
    const instance = this.registry.instancesById(id);
    if (!instance)
      throw new AppError('INSTANCE_NOT_FOUND', `Unknown service ID "${id.slice(0, 128)}"`);
    return instance as InstanceRecord;
  }
}

/** The body as JSON whatever its Content-Type said (the parser left `/v1` bodies as text). */
function bodyOf(request: FastifyRequest): unknown {
  const raw = request.body;
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') return raw;
  try {
    return parseJsonBody(raw);
  } catch (error) {
    const message = error instanceof AppError ? error.message : 'invalid JSON';
    throw new AppError('VALIDATION_FAILED', `Request decode failed: ${message}`);
  }
}

/** An answer without its Create/ModifyIndex fields: what a change must alter to wake a query. */
function stripIndexes(body: string): string {
  return body.replace(/"(Create|Modify)Index":\d+/g, '');
}
