// The transfer strategy in force: read it, swap it on the running broker.
// A swap goes through the broker's configs, as Kafka's
// IncrementalAlterConfigs would: checked, persisted in configs.json, and
// applied from the next send on (a send in flight ends with its own).
import { STRATEGY_NAMES } from '../../native/addon.js';
import { requireAdminAccess } from '../access.js';
import type { Call } from '../context.js';
import { badRequest, fromBrokerError } from '../errors.js';
import { readJson } from '../request.js';
import { sendJson } from '../respond.js';

const MAX_ADMIN_BODY_BYTES = 64 * 1024;

export function getTransferStrategy(call: Call): void {
  requireAdminAccess(call, 'DESCRIBE_CONFIGS');
  sendJson(call, 200, { strategy: call.ctx.broker.transfer.name, strategies: STRATEGY_NAMES });
}

/** Body {"strategy": "mmap"} or ?strategy=mmap. */
export async function putTransferStrategy(call: Call): Promise<void> {
  requireAdminAccess(call, 'ALTER_CONFIGS');
  const body = await readJson(call, MAX_ADMIN_BODY_BYTES);
  const fromBody = typeof body === 'object' && body !== null ? (body as { strategy?: unknown }).strategy : undefined;
  const strategy = fromBody ?? call.query.strategy;
  if (typeof strategy !== 'string') throw badRequest(`give the strategy as {"strategy": "..."} or ?strategy=, one of ${STRATEGY_NAMES.join(', ')}`);
  const { broker } = call.ctx;
  const previous = broker.transfer.name;
  try {
    broker.configs.alter([{ name: 'transfer.strategy', value: strategy }]);
  } catch (err) {
    throw fromBrokerError(err);
  }
  if (previous !== broker.transfer.name) call.ctx.log('info', `transfer.strategy ${previous} -> ${broker.transfer.name} (HTTP admin)`);
  sendJson(call, 200, { strategy: broker.transfer.name, previous });
}
