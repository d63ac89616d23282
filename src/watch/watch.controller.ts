import { applyDecorators, Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminAccess, InstanceAccessRequired } from '../auth/auth.decorators';
import { AppError } from '../common/errors/app-error';
import { ServiceTypePipe } from '../common/validation';
import { DiscoveryFilterDto } from '../registry/dto/list-instances.query.dto';
import { EventsQueryDto } from './events.query.dto';
import { parseLastEventId } from './sse';
import { WatchersService } from './watchers.service';

/** What every event stream documents: its media type, Last-Event-ID, an example, MAX_WATCHERS. */
function EventStream(example: string): MethodDecorator {
  return applyDecorators(
    ApiProduces('text/event-stream'),
    ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The last index received' }),
    ApiResponse({
      status: 200,
      description: 'An event stream',
      content: { 'text/event-stream': { example } },
    }),
    ApiServiceUnavailableResponse({ description: 'MAX_WATCHERS streams are open already' }),
  );
}

function lastEventIdOf(header: string | undefined): number | null {
  const lastEventId = parseLastEventId(header);
  if (Number.isNaN(lastEventId)) {
    throw new AppError('VALIDATION_FAILED', 'Last-Event-ID must be an index (whole digits)');
  }
  return lastEventId;
}

/** Push discovery and the change feed, as Server-Sent Events. */
@ApiTags('watch')
@Controller()
export class WatchController {
  constructor(private readonly watchers: WatchersService) {}

  @Get('services/:serviceType/watch')
  @InstanceAccessRequired('any')
  @ApiOperation({
    summary: "Watch a service's instances (Server-Sent Events)",
    description:
      '`event: snapshot` with `{"index", "serviceType", "instances"}` (the list of GET ' +
      '/services/:serviceType plus its index), then `event: update` with the whole new list on ' +
      'every change of this service only. Each `id:` is the index; a client reconnecting with ' +
      'Last-Event-ID gets nothing until the next change if it is current, else a fresh snapshot. ' +
      'A comment line every 15 s keeps the stream open. A client that stops reading is ' +
      'disconnected once 1 MiB waits for it, and resumes with Last-Event-ID.',
  })
  @EventStream(
    'id: 42\nevent: snapshot\ndata: {"index":42,"serviceType":"users","instances":[]}\n\n',
  )
  watch(
    @Param('serviceType', ServiceTypePipe) serviceType: string,
    @Query() filter: DiscoveryFilterDto,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    const lastEventId = this.takeOver(reply, lastEventIdHeader);
    this.watchers.open(reply.raw, serviceType, { ...filter }, lastEventId);
  }

  @Get('events')
  @AdminAccess()
  @ApiOperation({
    summary: 'Every change of the registry (Server-Sent Events)',
    description:
      '`event:` instanceRegistered (`replaced: true` for a re-registration), instanceRemoved ' +
      '(`reason`), instanceStatusChanged (`from`, `to`, `reason`: check, traffic, ttl, heartbeat, ' +
      'operator, deregister_after; `detail`), instanceUpdated (weight or metadata), routeAdded, ' +
      'routeRemoved; with `checks=true` also healthCheckPassed and healthCheckFailed. Each data ' +
      'is JSON with its `index`, which is also the `id:`. With Last-Event-ID the changes after it ' +
      'are replayed while held (the last 4096 changes since the process started), else `event: ' +
      'reset` with the current index.',
  })
  @EventStream(
    'id: 43\nevent: instanceStatusChanged\ndata: {"index":43,"instance":{"id":"…","serviceType":"users","url":"http://10.0.0.7:3000"},"from":"UP","to":"DOWN","reason":"check","detail":"HTTP 500"}\n\n',
  )
  events(
    @Query() query: EventsQueryDto,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    const lastEventId = this.takeOver(reply, lastEventIdHeader);
    this.watchers.openEvents(reply.raw, lastEventId, query.checks === true);
  }

  /**
   * Everything that can refuse a stream, before a byte of it is written (a bad Last-Event-ID: 400;
   * MAX_WATCHERS: 503); then the stream is written on the raw response, Fastify's reply done with.
   */
  private takeOver(reply: FastifyReply, lastEventIdHeader: string | undefined): number | null {
    const lastEventId = lastEventIdOf(lastEventIdHeader);
    this.watchers.admit();
    reply.hijack();
    return lastEventId;
  }
}
