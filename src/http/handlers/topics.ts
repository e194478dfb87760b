// Topics: list (with each partition's offsets), one topic, create.
import type { TopicInfo } from '../../broker/topics.js';
import { allowed, requireAccess } from '../access.js';
import { CLUSTER } from '../../server/handlers/access.js';
import type { Call } from '../context.js';
import { badRequest, fromBrokerError, kafkaError } from '../errors.js';
import { readJson } from '../request.js';
import { sendJson } from '../respond.js';

/** A topic creation is a few fields: no reason to read more. */
const MAX_ADMIN_BODY_BYTES = 64 * 1024;

function describe(call: Call, t: TopicInfo): object {
  const { engine } = call.ctx.broker;
  const partitions = [];
  for (let p = 0; p < t.partitions; p++) {
    if (!call.ctx.broker.topics.holds(t, p)) continue; // another node's (mqlab.workers)
    const tp = { topic: t.name, partition: p };
    partitions.push({ partition: p, logStartOffset: Number(engine.logStartOffset(tp)), highWatermark: Number(engine.highWatermark(tp)) });
  }
  return { name: t.name, internal: t.internal, configs: t.configs, partitions };
}

/** The topics the request's principal may describe. */
export function listTopics(call: Call): void {
  sendJson(call, 200, { topics: call.ctx.broker.topics.list().filter((t) => allowed(call, 'DESCRIBE', 'TOPIC', t.name, true)).map((t) => describe(call, t)) });
}

export function getTopic(call: Call): void {
  requireAccess(call, 'DESCRIBE', 'TOPIC', call.params[0]!);
  const t = call.ctx.broker.topics.get(call.params[0]!);
  if (!t) throw kafkaError('UNKNOWN_TOPIC_OR_PARTITION', `no topic "${call.params[0]}"`);
  sendJson(call, 200, describe(call, t));
}

/** {"name", "partitions"? (num.partitions), "configs"? {"retention.ms": "..."}} */
export async function createTopic(call: Call): Promise<void> {
  const { broker } = call.ctx;
  const body = await readJson(call, MAX_ADMIN_BODY_BYTES);
  if (typeof body !== 'object' || body === null || typeof (body as { name?: unknown }).name !== 'string') {
    throw badRequest('expected {"name": string, "partitions"?: number, "configs"?: {name: string}}');
  }
  const { name, partitions = Number(broker.configs.get('num.partitions')), configs = {} } = body as { name: string; partitions?: unknown; configs?: unknown };
  if (!allowed(call, 'CREATE', 'CLUSTER', CLUSTER, true)) requireAccess(call, 'CREATE', 'TOPIC', name);
  if (!Number.isInteger(partitions)) throw badRequest('partitions must be an integer');
  if (typeof configs !== 'object' || configs === null || Object.values(configs).some((v) => typeof v !== 'string')) {
    throw badRequest('configs must map config names to string values');
  }
  try {
    broker.createTopic(name, partitions as number, configs as Record<string, string>);
  } catch (err) {
    throw fromBrokerError(err);
  }
  sendJson(call, 201, describe(call, broker.topics.get(name)!), { Location: `/topics/${encodeURIComponent(name)}` });
}
