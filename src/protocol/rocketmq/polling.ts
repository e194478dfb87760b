// How long a ReceiveMessage or PullMessage may wait for a message: the
// request's long_polling_timeout (the client's setting; absent, RocketMQ's
// 20 s), refused past 5 minutes, and shortened to answer before the
// caller's deadline, so the answer arrives in time.
import type { ServerCall } from '../grpc/call.js';
import { durationMs, type PbDuration } from './convert.js';
import { BadRequest } from './resources.js';
import { DEFAULT_LONG_POLLING_MS } from './settings.js';

export const MAX_LONG_POLLING_MS = 5 * 60 * 1000;
/** Answer this long before the caller's deadline. */
const DEADLINE_MARGIN_MS = 200;

export function longPollingMs(timeout: PbDuration | null | undefined, call: Pick<ServerCall, 'getDeadline'>): number {
  const asked = durationMs(timeout) ?? DEFAULT_LONG_POLLING_MS;
  if (asked < 0 || asked > MAX_LONG_POLLING_MS) throw new BadRequest('ILLEGAL_POLLING_TIME', `long polling timeout ${asked} ms: expected 0 to ${MAX_LONG_POLLING_MS} ms`);
  const until = call.getDeadline();
  return Number.isFinite(until) ? Math.max(0, Math.min(asked, until - Date.now() - DEADLINE_MARGIN_MS)) : asked;
}
