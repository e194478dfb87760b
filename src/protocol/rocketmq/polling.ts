// What a ReceiveMessage or PullMessage may take and how long it may wait:
// its batch size (at least 1; the endpoint caps it at 32), the request's
// long_polling_timeout (the client's setting; absent, RocketMQ's 20 s),
// refused past 5 minutes and shortened to answer before the caller's
// deadline, so the answer arrives in time; and whether its connection may
// be given more (the unsent-bytes bounds: a client that does not read has
// its receives and pulls refused, the others' go on).
import type { ServerCall } from '../grpc/call.js';
import { durationMs, type PbDuration } from './convert.js';
import { BadRequest } from './resources.js';
import { DEFAULT_LONG_POLLING_MS, MAX_RECEIVE_BATCH } from './settings.js';
import type { UnsentBytes } from './unsent-bytes.js';

export const MAX_LONG_POLLING_MS = 5 * 60 * 1000;
/** Answer this long before the caller's deadline. */
const DEADLINE_MARGIN_MS = 200;

export function longPollingMs(timeout: PbDuration | null | undefined, call: Pick<ServerCall, 'getDeadline'>): number {
  const asked = durationMs(timeout) ?? DEFAULT_LONG_POLLING_MS;
  if (asked < 0 || asked > MAX_LONG_POLLING_MS) throw new BadRequest('ILLEGAL_POLLING_TIME', `long polling timeout ${asked} ms: expected 0 to ${MAX_LONG_POLLING_MS} ms`);
  const until = call.getDeadline();
  return Number.isFinite(until) ? Math.max(0, Math.min(asked, until - Date.now() - DEADLINE_MARGIN_MS)) : asked;
}

/** A receive's or pull's batch size, long poll and connection, checked (TOO_MANY_REQUESTS where the connection may be given no more). */
export function takeLimits(r: { batchSize?: unknown; longPollingTimeout?: PbDuration | null }, call: Pick<ServerCall, 'getDeadline' | 'getPeer'>, unsent: UnsentBytes): { batchSize: number; pollMs: number; connection: string } {
  const batchSize = Number(r.batchSize ?? 0);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new BadRequest('BAD_REQUEST', `batch size ${String(r.batchSize)}: at least 1`);
  const pollMs = longPollingMs(r.longPollingTimeout, call);
  const connection = call.getPeer();
  if (unsent.room(connection) <= 0) throw new BadRequest('TOO_MANY_REQUESTS', unsent.reason(connection));
  return { batchSize: Math.min(batchSize, MAX_RECEIVE_BATCH), pollMs, connection };
}
