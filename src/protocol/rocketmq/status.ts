// apache.rocketmq.v2.Status: every answer carries one, by Code name (the
// proto's enum). Errors are answered this way, never as a bare gRPC error,
// so clients see the protocol's own codes. Messages are cut to 1,000
// characters: they quote what clients sent, which may be megabytes.
import { errorMessage } from '../../server/handlers/error-message.js';
export interface Status {
  code: string;
  message: string;
}

export const OK: Status = { code: 'OK', message: 'OK' };

export function status(code: string, message: string): Status {
  return { code, message: errorMessage(message)! };
}

export function notImplemented(rpc: string, when: string): Status {
  return status('NOT_IMPLEMENTED', `${rpc} is not implemented by mqlab yet (${when})`);
}

/** An error with a Code name (PublishError, PopError) or a bug: the latter answers INTERNAL_ERROR. */
export function statusOf(err: unknown): Status {
  const e = err as { code?: unknown; message?: unknown };
  if (err instanceof Error && typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) && !e.code.startsWith('ERR_')) return status(e.code, String(e.message));
  return status('INTERNAL_ERROR', `internal error: ${err instanceof Error ? err.message : String(err)}`);
}
