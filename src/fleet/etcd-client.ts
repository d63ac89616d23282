import {
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  IBackoff,
  retry,
} from 'cockatiel';
import { Etcd3, GRPCUnavailableError, IOptions } from 'etcd3';
import { readFileSync } from 'node:fs';
import type { EtcdSettings } from '../config/settings';

/** Every unary call answers within this, or fails: a write is refused (503) within 2 s. */
export const ETCD_CALL_DEADLINE_MS = 1_500;

/** A member that refused a connection is skipped for this long. */
const DOWN_MEMBER_SKIP_MS = 3_000;

/**
 * The one etcd client of a node. A call goes to another member only when one refused the
 * connection (that member is then skipped for a few seconds); a call that timed out is not
 * tried again: it fails within its deadline and the caller decides (a write answers 503, the
 * watch is made again from the revision the node keeps itself). gRPC keep-alive pings find a
 * half-open connection within seconds instead of waiting on it forever.
 */
export function createEtcdClient(settings: EtcdSettings): Etcd3 {
  const options: IOptions = {
    hosts: settings.endpoints,
    dialTimeout: ETCD_CALL_DEADLINE_MS,
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + ETCD_CALL_DEADLINE_MS },
    grpcOptions: {
      // etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time).
      'grpc.keepalive_time_ms': 6_000,
      'grpc.keepalive_timeout_ms': 2_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    },
    faultHandling: {
      host: () =>
        circuitBreaker(handleWhen(refused), {
          halfOpenAfter: DOWN_MEMBER_SKIP_MS,
          breaker: new ConsecutiveBreaker(1),
        }),
      global: retry(handleWhen(refused), { maxAttempts: settings.endpoints.length }),
      // The library calls `next()` on it, as on a factory, whatever its typings say; its default
      // grows to 30 s between attempts to open the watch stream again.
      watchBackoff: new ExponentialBackoff({
        initialDelay: 100,
        maxDelay: 2_000,
      }) as unknown as IBackoff<unknown>,
    },
  };
  if (settings.username !== null && settings.password !== null) {
    options.auth = { username: settings.username, password: settings.password };
  }
  if (settings.caFile !== null) {
    options.credentials = { rootCertificate: readFileSync(settings.caFile) };
  }
  return new Etcd3(options);
}

function refused(error: Error): boolean {
  return error instanceof GRPCUnavailableError;
}
