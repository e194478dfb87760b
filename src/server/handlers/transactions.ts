// The transaction APIs (broker/txn/): InitProducerId, AddPartitionsToTxn,
// AddOffsetsToTxn, TxnOffsetCommit, EndTxn, and the admin views
// ListTransactions and DescribeTransactions.
import { compileIdPattern } from '../../broker/id-pattern.js';
import { TxnCoordinator } from '../../broker/txn/txn-coordinator.js';
import { splitPartitionKey, type TxnState } from '../../broker/txn/txn-log.js';
import { errorCode, type ApiKeys, type ErrorName, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import { CLUSTER } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';

/** Every transactional call takes WRITE on its transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED without), as in Kafka. */
const mayWrite = (meta: RequestMeta, transactionalId: string): boolean => meta.access.can('WRITE', 'TRANSACTIONAL_ID', transactionalId);

/**
 * PRODUCER_FENCED is new in InitProducerId v4 and in AddPartitionsToTxn,
 * AddOffsetsToTxn and EndTxn v2; older versions get INVALID_PRODUCER_EPOCH,
 * as from Kafka.
 */
function fenced(error: ErrorName, apiVersion: number, since: number): ErrorName {
  return error === 'PRODUCER_FENCED' && apiVersion < since ? 'INVALID_PRODUCER_EPOCH' : error;
}

/**
 * A null TransactionalId: an idempotent producer, a new producer id at
 * epoch 0 on every call, whatever id and epoch (v3+) it sends (it bumps its
 * epoch itself, KIP-360, and asks again only for a new id). A
 * transactional id: the coordinator's id and next epoch, the open
 * transaction of an earlier instance aborted first (fencing it).
 */
export async function initProducerId(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.InitProducerId>, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.InitProducerId>> {
  const { apiVersion } = meta;
  const answer = (error: ErrorName, producerId = -1n, producerEpoch = -1) => ({ throttleTimeMs: 0, errorCode: errorCode(fenced(error, apiVersion, 4)), producerId, producerEpoch });
  // Kafka checks the pair before anything else: both given or neither.
  if ((req.producerId === -1n) !== (req.producerEpoch === -1)) return answer('INVALID_REQUEST');
  if (req.transactionalId === null) {
    // An idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on any topic (Kafka 3's rule).
    const allowed = meta.access.shows('IDEMPOTENT_WRITE', 'CLUSTER', CLUSTER) || meta.access.canOnSome('WRITE', 'TOPIC');
    return allowed ? answer('NONE', ctx.broker.newProducerId(), 0) : answer('CLUSTER_AUTHORIZATION_FAILED');
  }
  if (!mayWrite(meta, req.transactionalId)) return answer('TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
  const r = await ctx.broker.transactions.coordinator.initProducerId(req.transactionalId, req.transactionTimeoutMs, req.producerId, req.producerEpoch);
  return answer(r.error, r.producerId, r.producerEpoch);
}

type AddPartitionsResponse = ResponseInput<typeof ApiKeys.AddPartitionsToTxn>;
type TopicPartitions = readonly { name: string; partitions: readonly number[] }[];

/** v0-3: one transaction (a client's); v4: several, each possibly VerifyOnly (a broker's, KIP-890). */
export async function addPartitionsToTxn(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.AddPartitionsToTxn>, meta: RequestMeta): Promise<AddPartitionsResponse> {
  const { apiVersion } = meta;
  const coordinator = ctx.broker.transactions.coordinator;
  const add = async (id: string, producerId: bigint, epoch: number, topics: TopicPartitions, verifyOnly: boolean) => {
    // WRITE on the transactional id, then on each topic: a refusal fails the whole request (OPERATION_NOT_ATTEMPTED for the rest), as Kafka's.
    const refusal: ErrorName | null = !mayWrite(meta, id) ? 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' : topics.some((t) => !meta.access.can('WRITE', 'TOPIC', t.name)) ? 'TOPIC_AUTHORIZATION_FAILED' : null;
    if (refusal) {
      return topics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((partitionIndex) => ({
          partitionIndex,
          partitionErrorCode: errorCode(refusal === 'TOPIC_AUTHORIZATION_FAILED' && meta.access.can('WRITE', 'TOPIC', t.name) ? 'OPERATION_NOT_ATTEMPTED' : refusal),
        })),
      }));
    }
    const partitions = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    const errors = verifyOnly ? coordinator.verify(id, producerId, epoch, partitions) : await coordinator.addPartitions(id, producerId, epoch, partitions);
    let i = 0;
    return topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: errorCode(fenced(errors[i++]!, apiVersion, 2)) })),
    }));
  };
  // v4+ is brokers' own verification call: CLUSTER_ACTION on the cluster, as Kafka.
  if (apiVersion >= 4 && !meta.access.can('CLUSTER_ACTION', 'CLUSTER', CLUSTER)) return { throttleTimeMs: 0, errorCode: errorCode('CLUSTER_AUTHORIZATION_FAILED'), resultsByTransaction: [] };
  if (apiVersion <= 3) {
    return { throttleTimeMs: 0, resultsByTopicV3AndBelow: await add(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, req.v3AndBelowTopics, false) };
  }
  const resultsByTransaction = [];
  for (const t of req.transactions) {
    resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: await add(t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly) });
  }
  return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction };
}

export async function addOffsetsToTxn(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.AddOffsetsToTxn>, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.AddOffsetsToTxn>> {
  const { apiVersion } = meta;
  if (!mayWrite(meta, req.transactionalId)) return { throttleTimeMs: 0, errorCode: errorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED') };
  if (!meta.access.can('READ', 'GROUP', req.groupId)) return { throttleTimeMs: 0, errorCode: errorCode('GROUP_AUTHORIZATION_FAILED') };
  const error = await ctx.broker.transactions.coordinator.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
  return { throttleTimeMs: 0, errorCode: errorCode(fenced(error, apiVersion, 2)) };
}

/**
 * v5 under transaction.version 2 also adds the group to the transaction
 * (beginning it if need be): no AddOffsetsToTxn first.
 *
 * The consumer's membership (v3+) is checked as the group checks a
 * transactional commit: only when the request names one (v0-2 cannot;
 * kafkajs's sendOffsets and Java's sendOffsetsToTransaction(offsets,
 * groupId) do not), and without enforcing the group's state, as Kafka's.
 * The offsets then wait in the transaction, and the group sees them when
 * it commits. Every partition gets the same answer: the commit is all or
 * none.
 */
export async function txnOffsetCommit(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.TxnOffsetCommit>, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.TxnOffsetCommit>> {
  const { broker } = ctx;
  const { apiVersion } = meta;
  // WRITE on the transactional id, READ on the group and on each topic.
  const denied: ErrorName | null = !mayWrite(meta, req.transactionalId)
    ? 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
    : !meta.access.can('READ', 'GROUP', req.groupId)
      ? 'GROUP_AUTHORIZATION_FAILED'
      : req.topics.some((t) => !meta.access.can('READ', 'TOPIC', t.name))
        ? 'TOPIC_AUTHORIZATION_FAILED'
        : null;
  let error: ErrorName = denied ?? broker.coordinator.validateTxnCommit(req.groupId, req.memberId, req.generationId, req.groupInstanceId, apiVersion) ?? 'NONE';
  if (error === 'NONE') {
    const entries = req.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata, leaderEpoch: p.committedLeaderEpoch })),
    );
    const unknown = entries.find((e) => {
      const info = broker.topics.get(e.topic);
      return !info || e.partition < 0 || e.partition >= info.partitions;
    });
    const join = broker.transactions.coordinator.speaksV2(apiVersion, 5); // v5: AddOffsetsToTxn's work too (KIP-890 part 2)
    error = unknown ? 'UNKNOWN_TOPIC_OR_PARTITION' : await broker.transactions.coordinator.commitOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId, entries, join);
  }
  // TxnOffsetCommit has no PRODUCER_FENCED in any version: Kafka's group coordinator answers a stale epoch so.
  const code = errorCode(error === 'PRODUCER_FENCED' ? 'INVALID_PRODUCER_EPOCH' : error);
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
  };
}

/**
 * v5 under transaction.version 2 (KIP-890 part 2): the epoch is bumped as
 * the transaction ends and the answer says which id and epoch to go on
 * with. v5 below level 2 ends as v4 does and answers the id and epoch
 * unchanged (Java clients send v5 only when the level is 2).
 */
export async function endTxn(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.EndTxn>, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.EndTxn>> {
  const { apiVersion } = meta;
  if (!mayWrite(meta, req.transactionalId)) return { throttleTimeMs: 0, errorCode: errorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED') };
  const coordinator = ctx.broker.transactions.coordinator;
  const r = await coordinator.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, coordinator.speaksV2(apiVersion, 5));
  return { throttleTimeMs: 0, errorCode: errorCode(fenced(r.error, apiVersion, 2)), producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/**
 * Filters by state (unknown names listed back, as Kafka does), producer id,
 * (v1) the age of the open transaction and (v2) a regular expression the
 * whole transactional id matches. Only the transactional ids the principal
 * may DESCRIBE are listed, as Kafka's.
 */
export function listTransactions(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.ListTransactions>, meta: RequestMeta): ResponseInput<typeof ApiKeys.ListTransactions> {
  const idMatches = compileIdPattern(req.transactionalIdPattern);
  if (idMatches instanceof Error) return { throttleTimeMs: 0, errorCode: errorCode('INVALID_REGULAR_EXPRESSION'), unknownStateFilters: [], transactionStates: [] };
  const unknownStateFilters = req.stateFilters.filter((s) => !TxnCoordinator.isState(s));
  const states = new Set(req.stateFilters.filter((s): s is TxnState => TxnCoordinator.isState(s)));
  const pids = new Set(req.producerIdFilters);
  const now = Date.now();
  const matching = ctx.broker.transactions.coordinator
    .list()
    .filter((t) => req.stateFilters.length === 0 || states.has(t.state))
    .filter((t) => pids.size === 0 || pids.has(t.producerId))
    .filter((t) => req.durationFilter < 0 || (t.startMs >= 0 && now - t.startMs >= Number(req.durationFilter)))
    .filter((t) => idMatches(t.transactionalId))
    .filter((t) => meta.access.shows('DESCRIBE', 'TRANSACTIONAL_ID', t.transactionalId));
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    unknownStateFilters,
    transactionStates: matching.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state })),
  };
}

export function describeTransactions(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DescribeTransactions>, meta: RequestMeta): ResponseInput<typeof ApiKeys.DescribeTransactions> {
  return {
    throttleTimeMs: 0,
    transactionStates: req.transactionalIds.map((transactionalId) => {
      if (!meta.access.can('DESCRIBE', 'TRANSACTIONAL_ID', transactionalId)) {
        return { errorCode: errorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'), transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
      }
      const t = ctx.broker.transactions.coordinator.describe(transactionalId);
      if (!t) return { errorCode: errorCode('TRANSACTIONAL_ID_NOT_FOUND'), transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
      const byTopic = new Map<string, number[]>();
      for (const k of t.partitions) {
        const { topic, partition } = splitPartitionKey(k);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
      }
      return {
        errorCode: 0,
        transactionalId,
        transactionState: t.state,
        transactionTimeoutMs: t.timeoutMs,
        transactionStartTimeMs: BigInt(t.startMs),
        producerId: t.producerId,
        producerEpoch: t.producerEpoch,
        // Only the topics the principal may DESCRIBE, as Kafka.
        topics: [...byTopic].filter(([topic]) => meta.access.shows('DESCRIBE', 'TOPIC', topic)).map(([topic, partitions]) => ({ topic, partitions })),
      };
    }),
  };
}
