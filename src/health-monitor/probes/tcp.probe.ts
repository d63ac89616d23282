import { connect } from 'node:net';
import { CheckOutcome } from '../../model/health';
import { describeFailure, outcome } from './probe-result';

/** Passes when a TCP connection opens within the timeout; the connection is closed at once. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<CheckOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (result: CheckOutcome) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () =>
      finish(outcome(false, started, describeFailure(null, timeoutMs, true))),
    );
    socket.once('connect', () => finish(outcome(true, started, null)));
    socket.once('error', (error) =>
      finish(outcome(false, started, describeFailure(error, timeoutMs, false))),
    );
  });
}
