// Admin APIs: topics (CreateTopics, DeleteTopics). The config APIs are in
// admin-configs.ts; InitProducerId is with the transactions.
import { BrokerError } from '../../broker/errors.js';
import { ZERO_UUID, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import { describedConfig } from './admin-configs.js';
import { mayCreateTopic } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { firstIndexes } from './duplicates.js';
import { refusal } from './error-message.js';

/** One broker: every partition has one replica. */
const REPLICATION_FACTOR = 1;

type CreatableTopic = RequestBody<typeof ApiKeys.CreateTopics>['topics'][number];

export function createTopics(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.CreateTopics>, meta: RequestMeta): ResponseInput<typeof ApiKeys.CreateTopics> {
  const { broker } = ctx;
  // Kafka refuses every entry of a name given twice, creating none: which one was meant is unknown.
  const firstOf = firstIndexes(req.topics.map((t) => t.name));
  const repeated = new Set(req.topics.filter((t, i) => firstOf.get(t.name) !== i).map((t) => t.name));
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      try {
        if (repeated.has(t.name)) throw new BrokerError('INVALID_REQUEST', `topic "${t.name}" is named more than once in the request`);
        if (!mayCreateTopic(meta.access, t.name)) throw new BrokerError('TOPIC_AUTHORIZATION_FAILED', `${meta.session.principal} may not create topic ${t.name}`);
        const partitions = partitionCount(t, Number(broker.configs.get('num.partitions')), ctx.nodeId, ctx.cluster.size);
        const configs: Record<string, string> = {};
        for (const c of t.configs) {
          // As Kafka: a null value cannot mean "the default" here, since a new topic has no value to keep.
          if (c.value === null) throw new BrokerError('INVALID_CONFIG', `null value not supported for topic configs: ${c.name}`);
          configs[c.name] = c.value;
        }
        const created = broker.createTopic(t.name, partitions, configs, req.validateOnly);
        return {
          name: t.name,
          // validateOnly creates nothing, so there is no id to give (Kafka makes one up that names nothing).
          topicId: created?.id ?? ZERO_UUID,
          errorCode: 0,
          errorMessage: null,
          numPartitions: partitions,
          replicationFactor: REPLICATION_FACTOR,
          // The configs are shown only to a principal who may describe them (Kafka: TOPIC_AUTHORIZATION_FAILED in TopicConfigErrorCode).
          configs: meta.access.can('DESCRIBE_CONFIGS', 'TOPIC', t.name) ? broker.configs.describeTopic(created?.configs ?? configs).map(describedConfig) : [],
        };
      } catch (err) {
        return { name: t.name, topicId: ZERO_UUID, ...refusal(err), numPartitions: -1, replicationFactor: -1, configs: [] };
      }
    }),
  };
}

/**
 * The partition count asked for: NumPartitions (-1, the broker's default),
 * or as many as the manual assignment places, each on this broker alone.
 */
function partitionCount(t: CreatableTopic, byDefault: number, nodeId: number, nodes: number): number {
  if (t.assignments.length === 0) {
    if (t.replicationFactor === 0 || t.replicationFactor < -1) throw new BrokerError('INVALID_REPLICATION_FACTOR', 'replication factor must be larger than 0, or -1 for the default');
    if (t.replicationFactor > REPLICATION_FACTOR) throw new BrokerError('INVALID_REPLICATION_FACTOR', `replication factor ${t.replicationFactor} is larger than the 1 broker available`);
    if (t.numPartitions === 0 || t.numPartitions < -1) throw new BrokerError('INVALID_PARTITIONS', 'number of partitions must be larger than 0, or -1 for the default');
    return t.numPartitions === -1 ? byDefault : t.numPartitions;
  }
  if (t.numPartitions !== -1 || t.replicationFactor !== -1) throw new BrokerError('INVALID_REQUEST', 'give either a partition count and replication factor, or a manual assignment (with -1 for both), not both');
  if (nodes > 1) throw new BrokerError('INVALID_REPLICA_ASSIGNMENT', `with mqlab.workers=${nodes} the leaders go round the nodes by the topic's id: give a partition count, not an assignment`);
  const indexes = t.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
  if (indexes.some((p, i) => p !== i)) throw new BrokerError('INVALID_REPLICA_ASSIGNMENT', 'the assigned partitions must be numbered 0, 1, 2, … each once');
  for (const a of t.assignments) {
    if (a.brokerIds.length !== REPLICATION_FACTOR || a.brokerIds[0] !== nodeId) {
      throw new BrokerError('INVALID_REPLICA_ASSIGNMENT', `partition ${a.partitionIndex} is assigned to brokers [${a.brokerIds.join(', ')}]: the only broker is ${nodeId}, with one replica`);
    }
  }
  return indexes.length;
}

export async function deleteTopics(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DeleteTopics>, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.DeleteTopics>> {
  const { broker } = ctx;
  // v0-5 name topics in TopicNames, v6 by name or by id in Topics; the other list is empty.
  const wanted = [...req.topicNames.map((name) => ({ name: name as string | null, topicId: ZERO_UUID })), ...req.topics];
  const keyOf = (w: { name: string | null; topicId: string }): string => (w.name !== null ? `name:${w.name}` : `id:${w.topicId}`);
  const firstOf = firstIndexes(wanted.map(keyOf));
  const repeated = new Set(wanted.filter((w, i) => firstOf.get(keyOf(w)) !== i).map(keyOf));
  const responses = [];
  for (const w of wanted) {
    let { name, topicId } = w;
    try {
      if (name !== null && topicId !== ZERO_UUID) throw new BrokerError('INVALID_REQUEST', 'give a topic name or a topic id, not both');
      if (name === null && topicId === ZERO_UUID) throw new BrokerError('INVALID_REQUEST', 'give a topic name or a topic id');
      if (repeated.has(keyOf(w))) throw new BrokerError('INVALID_REQUEST', `${name !== null ? `topic "${name}"` : `topic id ${topicId}`} is named more than once in the request`);
      if (name === null) {
        const t = broker.topics.byId(topicId);
        if (!t) throw new BrokerError('UNKNOWN_TOPIC_ID', `no topic with id ${topicId}`);
        // The name is not told to a principal who may not see it.
        if (!meta.access.can('DESCRIBE', 'TOPIC', t.name)) throw new BrokerError('TOPIC_AUTHORIZATION_FAILED', `${meta.session.principal} may not describe topic id ${topicId}`);
        name = t.name;
      } else {
        topicId = broker.topics.get(name)?.id ?? ZERO_UUID;
      }
      if (!meta.access.can('DELETE', 'TOPIC', name)) throw new BrokerError('TOPIC_AUTHORIZATION_FAILED', `${meta.session.principal} may not delete topic ${name}`);
      await broker.deleteTopic(name);
      responses.push({ name, topicId, errorCode: 0, errorMessage: null });
    } catch (err) {
      responses.push({ name, topicId, ...refusal(err) });
    }
  }
  return { throttleTimeMs: 0, responses };
}

