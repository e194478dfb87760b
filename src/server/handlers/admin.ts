// Admin APIs: topics (CreateTopics, DeleteTopics), configs (DescribeConfigs,
// AlterConfigs, IncrementalAlterConfigs) and producer ids (InitProducerId).
import type { ConfigEntry } from '../../broker/configs.js';
import { BrokerError } from '../../broker/errors.js';
import { errorCode } from '../../protocol/kafka/index.js';
import type { HandlerContext } from './context.js';
import { firstIndexes } from './duplicates.js';
import { errorMessage } from './error-message.js';

/** Kafka's ConfigResource.Type */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
export const RESOURCE_GROUP = 32;

/** The error name and message of a refusal; anything else is a bug and is rethrown. */
function refusal(err: unknown): { code: number; message: string | null } {
  if (err instanceof BrokerError) return { code: errorCode(err.code), message: errorMessage(err.message) };
  throw err;
}

interface CreateTopicsRequest {
  topics: { name: string; numPartitions: number; replicationFactor: number; configs: { name: string; value: string | null }[] }[];
  timeoutMs: number;
  validateOnly: boolean;
}

export function createTopics(ctx: HandlerContext, req: CreateTopicsRequest): object {
  const { broker } = ctx;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const partitions = t.numPartitions === -1 ? Number(broker.configs.get('num.partitions')) : t.numPartitions;
      const base = { name: t.name };
      try {
        // One broker: a replication factor above 1 cannot be met (-1 asks for the default, 1).
        if (t.replicationFactor > 1) throw new BrokerError('INVALID_REPLICATION_FACTOR', `replication factor ${t.replicationFactor} is larger than the 1 broker available`);
        const configs = t.configs.filter((c) => c.value !== null) as { name: string; value: string }[];
        if (req.validateOnly) {
          if (broker.topics.get(t.name)) throw new BrokerError('TOPIC_ALREADY_EXISTS', `topic "${t.name}" already exists`);
        } else {
          broker.createTopic(t.name, partitions, Object.fromEntries(configs.map((c) => [c.name, c.value])));
        }
        return { ...base, errorCode: 0, errorMessage: null };
      } catch (err) {
        const r = refusal(err);
        return { ...base, errorCode: r.code, errorMessage: r.message };
      }
    }),
  };
}

interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}

export async function deleteTopics(ctx: HandlerContext, req: DeleteTopicsRequest): Promise<object> {
  const responses = [];
  for (const name of req.topicNames) {
    try {
      await ctx.broker.deleteTopic(name);
      responses.push({ name, errorCode: 0, errorMessage: null });
    } catch (err) {
      const r = refusal(err);
      responses.push({ name, errorCode: r.code, errorMessage: r.message });
    }
  }
  return { throttleTimeMs: 0, responses };
}

interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
}

export function initProducerId(ctx: HandlerContext, req: InitProducerIdRequest): object {
  if (req.transactionalId !== null) {
    return { throttleTimeMs: 0, errorCode: errorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'), producerId: -1n, producerEpoch: -1 };
  }
  const r = ctx.broker.initProducerId(null);
  return { throttleTimeMs: 0, errorCode: 0, producerId: r.producerId, producerEpoch: r.epoch };
}

interface DescribeConfigsRequest {
  resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[];
}

/** Kafka's DescribeConfigsResponse ConfigSource codes. */
const SOURCE_CODES: Record<ConfigEntry['source'], number> = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  GROUP_CONFIG: 8,
};

export function describeConfigs(ctx: HandlerContext, req: DescribeConfigsRequest, apiVersion: number): object {
  const { broker } = ctx;
  // A resource answers with every config it has (about twenty for the broker) from a few bytes of
  // request: repeated, it would make a 1 MiB request cost gigabytes. No client needs a repeat.
  const firstOf = firstIndexes(req.resources.map(resourceKey));
  return {
    throttleTimeMs: 0,
    results: req.resources.map((res, i) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      try {
        if (firstOf.get(resourceKey(res)) !== i) throw new BrokerError('INVALID_REQUEST', 'duplicate resource: each is described once per request');
        const entries = describeResource(ctx, res.resourceType, res.resourceName);
        const wanted = res.configurationKeys === null ? entries : entries.filter((e) => res.configurationKeys!.includes(e.name));
        return {
          ...base,
          errorCode: 0,
          errorMessage: null,
          configs: wanted.map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            // v0 has isDefault, v1+ says where the value comes from instead.
            isDefault: apiVersion === 0 ? e.isDefault : false,
            configSource: SOURCE_CODES[e.source],
            isSensitive: false,
            synonyms: [],
          })),
        };
      } catch (err) {
        const r = refusal(err);
        return { ...base, errorCode: r.code, errorMessage: r.message, configs: [] };
      }
    }),
  };

  function describeResource(c: HandlerContext, type: number, name: string): ConfigEntry[] {
    if (type === RESOURCE_BROKER) {
      checkBrokerName(c, name);
      return broker.configs.describe();
    }
    if (type === RESOURCE_TOPIC) {
      const t = broker.topics.get(name);
      if (!t) throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `no topic "${name}"`);
      return broker.configs.describeTopic(t.configs);
    }
    if (type === RESOURCE_GROUP) return broker.groupConfigs.describe(name);
    throw new BrokerError('INVALID_REQUEST', `resource type ${type} has no configs here (2 topic, 4 broker, 32 group)`);
  }
}

function resourceKey(res: { resourceType: number; resourceName: string }): string {
  return `${res.resourceType}\0${res.resourceName}`;
}

/** The broker resource is named by node id; "" means the cluster default, which is this broker too. */
function checkBrokerName(ctx: HandlerContext, name: string): void {
  if (name !== '' && name !== String(ctx.nodeId)) throw new BrokerError('INVALID_REQUEST', `no broker "${name}" (this is broker ${ctx.nodeId})`);
}

interface AlterConfigsRequest {
  resources: { resourceType: number; resourceName: string; configs: { name: string; value: string | null; configOperation?: number }[] }[];
  validateOnly: boolean;
}

/**
 * AlterConfigs replaces a resource's whole dynamic config set (what is not
 * named reverts); IncrementalAlterConfigs sets (0) or deletes (1) named
 * configs. APPEND/SUBTRACT (2, 3) apply to list configs, which none of ours are.
 */
export function alterConfigs(ctx: HandlerContext, req: AlterConfigsRequest, incremental: boolean): object {
  const { broker } = ctx;
  return {
    throttleTimeMs: 0,
    responses: req.resources.map((res) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      try {
        const changes = res.configs.map((c) => {
          const op = incremental ? c.configOperation ?? 0 : 0;
          if (op === 2 || op === 3) throw new BrokerError('INVALID_REQUEST', `${c.name} is not a list config: APPEND and SUBTRACT do not apply`);
          if (op !== 0 && op !== 1) throw new BrokerError('INVALID_REQUEST', `unknown config operation ${op}`);
          return { name: c.name, value: op === 1 ? null : c.value };
        });
        if (res.resourceType === RESOURCE_BROKER) {
          checkBrokerName(ctx, res.resourceName);
          const all = incremental ? changes : withReverts(changes, broker.configs.describe());
          broker.configs.alter(all, req.validateOnly);
        } else if (res.resourceType === RESOURCE_TOPIC) {
          const t = broker.topics.get(res.resourceName);
          const all = incremental || !t ? changes : withReverts(changes, broker.configs.describeTopic(t.configs));
          broker.alterTopicConfigs(res.resourceName, all, req.validateOnly);
        } else if (res.resourceType === RESOURCE_GROUP) {
          const all = incremental ? changes : withReverts(changes, broker.groupConfigs.describe(res.resourceName));
          broker.groupConfigs.alter(res.resourceName, all, req.validateOnly);
        } else {
          throw new BrokerError('INVALID_REQUEST', `resource type ${res.resourceType} has no configs here (2 topic, 4 broker, 32 group)`);
        }
        return { ...base, errorCode: 0, errorMessage: null };
      } catch (err) {
        const r = refusal(err);
        return { ...base, errorCode: r.code, errorMessage: r.message };
      }
    }),
  };
}

/** The non-incremental form: every dynamically set config not named is deleted. */
function withReverts(changes: { name: string; value: string | null }[], current: readonly ConfigEntry[]): { name: string; value: string | null }[] {
  const named = new Set(changes.map((c) => c.name));
  const reverts = current.filter((e) => (e.source === 'DYNAMIC_BROKER_CONFIG' || e.source === 'DYNAMIC_TOPIC_CONFIG' || e.source === 'GROUP_CONFIG') && !named.has(e.name)).map((e) => ({ name: e.name, value: null }));
  return [...changes, ...reverts];
}
