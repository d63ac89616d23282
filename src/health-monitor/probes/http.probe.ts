import { Agent, request } from 'undici';
import { UpstreamTrust } from '../../tls/upstream-trust';
import { CheckOutcome } from '../../model/health';
import { describeFailure, outcome } from './probe-result';

/** A health answer is small; anything past this is not read. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * `GET url + path`: 2xx passes; any other status, a reset or a timeout fails. One undici Agent keeps
 * connections alive per origin, so thousands of instances behind a few servers reuse sockets.
 */
export class HttpProbe {
  private readonly agent: Agent;

  constructor(keepAliveMs: number, trust: UpstreamTrust = UpstreamTrust.DEFAULT) {
    this.agent = new Agent({
      keepAliveTimeout: keepAliveMs,
      keepAliveMaxTimeout: keepAliveMs,
      connect: { timeout: 30_000, ...trust.connectOptions },
    });
  }

  async check(url: string, timeoutMs: number): Promise<CheckOutcome> {
    const started = performance.now();
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    try {
      const response = await request(url, {
        method: 'GET',
        dispatcher: this.agent,
        signal: abort.signal,
        headers: { 'user-agent': 'waypost-health-check', accept: '*/*' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await response.body.dump({ limit: MAX_BODY_BYTES });
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return outcome(ok, started, ok ? null : `HTTP ${response.statusCode}`);
    } catch (error) {
      return outcome(false, started, describeFailure(error, timeoutMs, timedOut));
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
