import { CheckOutcome } from '../../model/health';

/** Words for a failed check: what an operator needs, without upstream internals beyond the code. */
export function describeFailure(error: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timed out after ${timeoutMs}ms`;
  const code =
    (error as { code?: string; cause?: { code?: string } })?.code ??
    (error as { cause?: { code?: string } })?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return code ? `failed: ${code}` : 'failed';
  }
}

export function outcome(ok: boolean, started: number, error: string | null): CheckOutcome {
  return { ok, responseTimeMs: Math.round(performance.now() - started), error };
}
