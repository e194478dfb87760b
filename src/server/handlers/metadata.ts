// Metadata: which topics exist and where their partitions lead (this node,
// or with mqlab.workers each partition's node: ../cluster.ts). From v10 topics carry their ids, and a
// request may name a topic by id instead of by name. Kafka's JSON says
// clients must not do that before v12 and Kafka's broker answers
// INVALID_REQUEST there; mqlab looks the id up from v10 on, as the
// declarations allow, since an id cannot mean anything else. A topic with
// neither id nor name names nothing: INVALID_REQUEST for it alone.
import { OFFSETS_TOPIC } from '../../broker/groups/offset-store.js';
import type { TopicInfo } from '../../broker/topics.js';
import { ZERO_UUID, errorCode, type ApiKeys, type ErrorName, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import { allOperations, CLUSTER, mayCreateTopic } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { CONTROLLER } from '../cluster.js';

type MetadataRequest = RequestBody<typeof ApiKeys.Metadata>;
type MetadataResponse = ResponseInput<typeof ApiKeys.Metadata>;
type ResponseTopic = NonNullable<MetadataResponse['topics']>[number];
type WantedTopic = NonNullable<MetadataRequest['topics']>[number];

/** Kafka's answer when the client did not ask for authorized operations (and the declared default). */
const NOT_REQUESTED = -2147483648;

// Authorized operations are a bitfield of AclOperation codes (1 << code).
// Without an authorizer Kafka grants every operation its ACLs support on
// the resource (AclEntry.supportedOperations). Topics: READ 3, WRITE 4,
// CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, DESCRIBE_CONFIGS 10,
// ALTER_CONFIGS 11. The cluster: CREATE 5, ALTER 7, DESCRIBE 8,
// CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
export const TOPIC_OPERATIONS = allOperations('TOPIC');
export const CLUSTER_OPERATIONS = allOperations('CLUSTER');

/**
 * With an authorizer, a topic the principal may not DESCRIBE is left out of
 * an all-topics answer and answers TOPIC_AUTHORIZATION_FAILED when named;
 * auto-creation takes CREATE (on the cluster or the name), as in Kafka.
 */
export function metadata(ctx: HandlerContext, req: MetadataRequest, meta: RequestMeta): MetadataResponse {
  const { broker } = ctx;
  const { apiVersion, access } = meta;
  const all = req.topics === null || (apiVersion === 0 && req.topics.length === 0);
  const visible = (name: string): boolean => access.can('DESCRIBE', 'TOPIC', name);
  const found = (t: TopicInfo): ResponseTopic => ({
    errorCode: 0,
    name: t.name,
    topicId: t.id,
    isInternal: t.internal || t.name === OFFSETS_TOPIC,
    partitions: Array.from({ length: t.partitions }, (_, p) => {
      const leader = ctx.cluster.leaderOf(t, p);
      return { errorCode: 0, partitionIndex: p, leaderId: leader, leaderEpoch: 0, replicaNodes: [leader], isrNodes: [leader], offlineReplicas: [] };
    }),
    topicAuthorizedOperations: req.includeTopicAuthorizedOperations ? access.operations('TOPIC', t.name) : NOT_REQUESTED,
  });
  // Before v12 a response cannot carry a null name: a topic asked for by id alone answers with "".
  const missing = (error: ErrorName, name: string | null, topicId = ZERO_UUID): ResponseTopic => ({
    errorCode: errorCode(error),
    name: apiVersion >= 12 ? name : (name ?? ''),
    topicId,
    isInternal: false,
    partitions: [],
  });
  // Kafka auto-creates on Metadata when both the broker and (v4+) the client allow it; never for an id,
  // which names a topic that existed.
  const autoCreate = !all && req.allowAutoTopicCreation;
  const lookUp = (wanted: WantedTopic): ResponseTopic => {
    if (wanted.topicId !== ZERO_UUID) {
      const t = broker.topics.byId(wanted.topicId);
      // An id the principal may not see answers as one that names nothing.
      return t && visible(t.name) ? found(t) : missing(t ? 'TOPIC_AUTHORIZATION_FAILED' : 'UNKNOWN_TOPIC_ID', null, wanted.topicId);
    }
    if (wanted.name === null) return missing('INVALID_REQUEST', null);
    if (!visible(wanted.name)) return missing('TOPIC_AUTHORIZATION_FAILED', wanted.name);
    const existing = broker.topics.get(wanted.name);
    if (!existing && autoCreate && broker.configs.get('auto.create.topics.enable') === 'true' && !mayCreateTopic(access, wanted.name)) return missing('TOPIC_AUTHORIZATION_FAILED', wanted.name);
    const t = existing ?? (autoCreate ? broker.topic(wanted.name) : undefined);
    return t ? found(t) : missing('UNKNOWN_TOPIC_OR_PARTITION', wanted.name);
  };
  return {
    throttleTimeMs: 0,
    brokers: ctx.cluster.nodes(ctx).map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.port, rack: null })),
    clusterId: ctx.clusterId,
    controllerId: CONTROLLER,
    topics: all ? broker.topics.list().filter((t) => access.shows('DESCRIBE', 'TOPIC', t.name)).map(found) : distinct(req.topics!).map(lookUp),
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? access.operations('CLUSTER', CLUSTER) : NOT_REQUESTED,
  };
}

/**
 * Each topic once, as Kafka answers: a topic's entry lists all its partitions, so a name repeated
 * 100,000 times in one request would otherwise cost as many copies of it.
 */
function distinct(wanted: readonly WantedTopic[]): WantedTopic[] {
  const byKey = new Map<string, WantedTopic>();
  // A quoted name (or null) cannot be taken for an id.
  for (const w of wanted) byKey.set(w.topicId !== ZERO_UUID ? w.topicId : JSON.stringify(w.name), w);
  return [...byKey.values()];
}
