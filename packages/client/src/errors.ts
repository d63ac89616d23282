/**
 * What the registry answered when it refused a call: its HTTP status and the `code` of its error
 * body (`INSTANCE_NOT_FOUND`, `UNAUTHORIZED`, ...). `status` 0 means the registry did not answer.
 * Never carries a key or a token: only what the registry's error body says.
 */
export class WaypostError extends Error {
  override readonly name = 'WaypostError';

  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The registry's error body, as far as it can be read. */
export async function errorOf(response: Response, what: string): Promise<WaypostError> {
  let body: { message?: unknown; code?: unknown } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON: the status says enough
  }
  const message = typeof body.message === 'string' ? body.message : response.statusText;
  const code = typeof body.code === 'string' ? body.code : `HTTP_${response.status}`;
  return new WaypostError(`${what}: ${response.status} ${message}`, response.status, code);
}

/** The registry could not be reached at all. */
export function unreachable(what: string, error: unknown): WaypostError {
  const cause = (error as { cause?: { code?: string } })?.cause?.code ?? (error as Error)?.name;
  return new WaypostError(`${what}: the registry did not answer (${cause})`, 0, 'UNREACHABLE');
}
