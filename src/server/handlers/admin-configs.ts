// Config APIs: DescribeConfigs, AlterConfigs and IncrementalAlterConfigs, on
// the broker (type 4), topic (2) and group (32) resources.
import type { ConfigEntry, ConfigSource, ConfigType } from '../../broker/configs.js';
import { BrokerError } from '../../broker/errors.js';
import type { ApiKeys, RequestBody, ResponseInput } from '../../protocol/kafka/index.js';
import { CLUSTER, type Access, type Operation } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { firstIndexes } from './duplicates.js';
import { refusal } from './error-message.js';

/** Kafka's ConfigResource.Type */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
export const RESOURCE_GROUP = 32;

/** Kafka's DescribeConfigsResponse ConfigSource codes. */
const SOURCE_CODES: Record<ConfigSource, number> = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  GROUP_CONFIG: 8,
};

/** Kafka's DescribeConfigsResponse ConfigType codes (v3+). */
const TYPE_CODES: Record<ConfigType, number> = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6 };

/** What DescribeConfigs and CreateTopics (v5+) both say of a config: a password's value never (null, as Kafka). */
export function describedConfig(e: ConfigEntry): { name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean } {
  return { name: e.name, value: e.sensitive ? null : e.value, readOnly: e.readOnly, configSource: SOURCE_CODES[e.source], isSensitive: e.sensitive };
}

type DescribeConfigsResponse = ResponseInput<typeof ApiKeys.DescribeConfigs>;

/**
 * Who may see or change a resource's configs: DESCRIBE_CONFIGS or
 * ALTER_CONFIGS on the cluster (broker configs), the topic or the group,
 * refused with that resource's own error as Kafka's.
 */
function checkAccess(access: Access, principal: string, operation: Operation, resourceType: number, resourceName: string): void {
  if (resourceType === RESOURCE_BROKER && !access.can(operation, 'CLUSTER', CLUSTER)) throw new BrokerError('CLUSTER_AUTHORIZATION_FAILED', `${principal} may not ${operation} of the broker`);
  if (resourceType === RESOURCE_TOPIC && !access.can(operation, 'TOPIC', resourceName)) throw new BrokerError('TOPIC_AUTHORIZATION_FAILED', `${principal} may not ${operation} of topic ${resourceName}`);
  if (resourceType === RESOURCE_GROUP && !access.can(operation, 'GROUP', resourceName)) throw new BrokerError('GROUP_AUTHORIZATION_FAILED', `${principal} may not ${operation} of group ${resourceName}`);
}

export function describeConfigs(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DescribeConfigs>, meta: RequestMeta): DescribeConfigsResponse {
  const { broker } = ctx;
  const { apiVersion } = meta;
  // A resource answers with every config it has (about thirty for the broker) from a few bytes of
  // request: repeated, it would make a 1 MiB request cost gigabytes. No client needs a repeat.
  const firstOf = firstIndexes(req.resources.map(resourceKey));
  return {
    throttleTimeMs: 0,
    results: req.resources.map((res, i) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      try {
        if (firstOf.get(resourceKey(res)) !== i) throw new BrokerError('INVALID_REQUEST', 'duplicate resource: each is described once per request');
        checkAccess(meta.access, meta.session.principal, 'DESCRIBE_CONFIGS', res.resourceType, res.resourceName);
        const entries = describeResource(res.resourceType, res.resourceName);
        const keys = res.configurationKeys;
        const wanted = keys === null ? entries : entries.filter((e) => keys.includes(e.name));
        return {
          ...base,
          errorCode: 0,
          errorMessage: null,
          configs: wanted.map((e) => ({
            ...describedConfig(e),
            // v0 has isDefault, v1+ says where the value comes from instead.
            isDefault: apiVersion === 0 ? e.isDefault : false,
            synonyms: req.includeSynoyms ? e.synonyms.map((s) => ({ name: s.name, value: e.sensitive ? null : s.value, source: SOURCE_CODES[s.source] })) : [],
            configType: TYPE_CODES[e.type],
            documentation: req.includeDocumentation ? e.doc : null,
          })),
        };
      } catch (err) {
        return { ...base, ...refusal(err), configs: [] };
      }
    }),
  };

  function describeResource(type: number, name: string): ConfigEntry[] {
    if (type === RESOURCE_BROKER) {
      checkBrokerName(ctx, name);
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

/**
 * The broker resource is named by node id; "" means the cluster default,
 * which is this broker too. Under mqlab.workers every node has node 0's
 * configs (they are mirrored), so any node's id names them.
 */
function checkBrokerName(ctx: HandlerContext, name: string): void {
  const id = Number(name);
  const known = name === String(id) && Number.isInteger(id) && id >= 0 && id < ctx.cluster.size;
  if (name !== '' && !known) throw new BrokerError('INVALID_REQUEST', `no broker "${name}" (${ctx.cluster.size === 1 ? `this is broker ${ctx.nodeId}` : `the brokers are 0 to ${ctx.cluster.size - 1}`})`);
}

type ConfigChange = { name: string; value: string | null };

/** A resource's changes as IncrementalAlterConfigs sends them; AlterConfigs' are all sets (0). */
type AlterResource = { resourceType: number; resourceName: string; configs: { name: string; value: string | null; configOperation?: number }[] };

export function alterConfigs(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.AlterConfigs>, meta: RequestMeta): ResponseInput<typeof ApiKeys.AlterConfigs> {
  return { throttleTimeMs: 0, responses: alterResources(ctx, meta, req.resources, req.validateOnly, false) };
}

export function incrementalAlterConfigs(
  ctx: HandlerContext,
  req: RequestBody<typeof ApiKeys.IncrementalAlterConfigs>,
  meta: RequestMeta,
): ResponseInput<typeof ApiKeys.IncrementalAlterConfigs> {
  return { throttleTimeMs: 0, responses: alterResources(ctx, meta, req.resources, req.validateOnly, true) };
}

/**
 * AlterConfigs replaces a resource's whole dynamic config set (what is not
 * named reverts); IncrementalAlterConfigs sets (0) or deletes (1) named
 * configs. APPEND/SUBTRACT (2, 3) apply to list configs, which none of ours are.
 */
function alterResources(ctx: HandlerContext, meta: RequestMeta, resources: readonly AlterResource[], validateOnly: boolean, incremental: boolean) {
  const { broker } = ctx;
  // As Kafka: a resource named twice, or a config twice in one resource, is refused (which one was meant is unknown).
  const firstOf = firstIndexes(resources.map(resourceKey));
  const repeated = new Set(resources.filter((res, i) => firstOf.get(resourceKey(res)) !== i).map(resourceKey));
  return resources.map((res) => {
    const base = { resourceType: res.resourceType, resourceName: res.resourceName };
    try {
      if (repeated.has(resourceKey(res))) throw new BrokerError('INVALID_REQUEST', 'duplicate resource: each may appear once per request');
      checkAccess(meta.access, meta.session.principal, 'ALTER_CONFIGS', res.resourceType, res.resourceName);
      if (new Set(res.configs.map((c) => c.name)).size !== res.configs.length) throw new BrokerError('INVALID_REQUEST', 'duplicate config name: each may appear once per resource');
      const changes = res.configs.map((c): ConfigChange => {
        const op = incremental ? (c.configOperation ?? 0) : 0;
        if (op === 2 || op === 3) throw new BrokerError('INVALID_REQUEST', `${c.name} is not a list config: APPEND and SUBTRACT do not apply`);
        if (op !== 0 && op !== 1) throw new BrokerError('INVALID_REQUEST', `unknown config operation ${op}`);
        return { name: c.name, value: op === 1 ? null : c.value };
      });
      if (res.resourceType === RESOURCE_BROKER) {
        checkBrokerName(ctx, res.resourceName);
        const all = incremental ? changes : withReverts(changes, broker.configs.describe());
        broker.configs.alter(all, validateOnly);
      } else if (res.resourceType === RESOURCE_TOPIC) {
        const t = broker.topics.get(res.resourceName);
        const all = incremental || !t ? changes : withReverts(changes, broker.configs.describeTopic(t.configs));
        broker.alterTopicConfigs(res.resourceName, all, validateOnly);
      } else if (res.resourceType === RESOURCE_GROUP) {
        const all = incremental ? changes : withReverts(changes, broker.groupConfigs.describe(res.resourceName));
        broker.groupConfigs.alter(res.resourceName, all, validateOnly);
      } else {
        throw new BrokerError('INVALID_REQUEST', `resource type ${res.resourceType} has no configs here (2 topic, 4 broker, 32 group)`);
      }
      return { ...base, errorCode: 0, errorMessage: null };
    } catch (err) {
      return { ...base, ...refusal(err) };
    }
  });
}

/** The non-incremental form: every dynamically set config not named is deleted. */
function withReverts(changes: ConfigChange[], current: readonly ConfigEntry[]): ConfigChange[] {
  const named = new Set(changes.map((c) => c.name));
  const reverts = current.filter((e) => (e.source === 'DYNAMIC_BROKER_CONFIG' || e.source === 'DYNAMIC_TOPIC_CONFIG' || e.source === 'GROUP_CONFIG') && !named.has(e.name)).map((e) => ({ name: e.name, value: null }));
  return [...changes, ...reverts];
}
