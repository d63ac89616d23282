import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GATEWAY_EVENTS, UpstreamFailedEvent } from '../model/events';
import { admit, Refusal, Reply } from './admission';
import { requestIdOf } from './forward-headers';
import { refuseUpgrade, replyOnSocket } from './gateway-answer';
import { GatewayRules } from './gateway-rules';
import { InFlight } from './in-flight';
import { unmapIpv4 } from './request-target';
import { UpstreamTrust } from '../tls/upstream-trust';
import { RoutingService } from './routing.service';
import { tunnelUpgrade } from './websocket-tunnel';

/** WebSocket upgrades: admitted like any request, and tunnelled only on routes with `websocket: true`. */
@Injectable()
export class UpgradeHandler {
  constructor(
    private readonly routing: RoutingService,
    private readonly rules: GatewayRules,
    private readonly inFlight: InFlight,
    private readonly events: EventEmitter2,
    private readonly trust: UpstreamTrust,
  ) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const clientIp = unmapIpv4(req.socket.remoteAddress ?? '');
    const admitted = admit(req, clientIp, requestIdOf(req.headers, randomUUID), this.rules);
    if (admitted instanceof Refusal) return refuseUpgrade(socket, admitted.code, admitted.message);
    if (admitted instanceof Reply) return replyOnSocket(socket, admitted.status, admitted.headers);
    const { match, headers, upstreamPath } = admitted;
    const runtime = match.payload;
    if (match.route.options.websocket !== true) {
      return refuseUpgrade(socket, 'FORBIDDEN', 'this route does not accept WebSocket upgrades');
    }
    const upstream = runtime.balancer.pick(this.routing.candidates(runtime), {
      clientIp,
      inFlight: this.inFlight.of,
    });
    if (!upstream)
      return refuseUpgrade(socket, 'SERVICE_UNAVAILABLE', 'no healthy instance for this route');
    const failed = () => {
      if (runtime.fixedBackend) return;
      this.events.emit(GATEWAY_EVENTS.upstreamFailed, {
        instanceId: upstream.id,
        error: 'upgrade failed',
      } satisfies UpstreamFailedEvent);
    };
    tunnelUpgrade(req, socket, head, upstream, upstreamPath, headers, failed, this.trust.ca);
  }
}
