// ApiVersions, Metadata and FindCoordinator: how a client finds out what
// this broker speaks, which topics exist, and where its group lives (here).
import { OFFSETS_TOPIC } from '../../broker/groups/offset-store.js';
import { errorCode } from '../../protocol/kafka/index.js';
import type { HandlerContext } from './context.js';

export function apiVersions(ctx: HandlerContext): object {
  return { errorCode: 0, apiKeys: ctx.apis.map((a) => ({ ...a })), throttleTimeMs: 0 };
}

interface MetadataRequest {
  /** null: every topic (v1+); an empty array in v0 means every topic too. */
  topics: { name: string | null }[] | null;
  allowAutoTopicCreation: boolean;
}

export function metadata(ctx: HandlerContext, req: MetadataRequest, apiVersion: number): object {
  const { broker } = ctx;
  const all = req.topics === null || (apiVersion === 0 && req.topics.length === 0);
  // Each name once, as Kafka answers: a topic's entry lists all its partitions, so a name repeated
  // 100,000 times in one request would otherwise cost as many copies of it.
  const names = all ? broker.topics.list().map((t) => t.name) : [...new Set(req.topics!.map((t) => t.name ?? ''))];
  // Kafka auto-creates on Metadata when both the broker and (v4+) the client allow it.
  const autoCreate = !all && req.allowAutoTopicCreation !== false;
  const topics = names.map((name) => {
    const t = autoCreate ? broker.topic(name) : broker.topics.get(name);
    if (!t) return { errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION'), name, isInternal: false, partitions: [] };
    return {
      errorCode: 0,
      name,
      isInternal: t.internal || name === OFFSETS_TOPIC,
      partitions: Array.from({ length: t.partitions }, (_, p) => ({
        errorCode: 0,
        partitionIndex: p,
        leaderId: ctx.nodeId,
        leaderEpoch: 0,
        replicaNodes: [ctx.nodeId],
        isrNodes: [ctx.nodeId],
        offlineReplicas: [],
      })),
    };
  });
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: ctx.nodeId, host: ctx.host, port: ctx.port, rack: null }],
    clusterId: ctx.clusterId,
    controllerId: ctx.nodeId,
    topics,
  };
}

interface FindCoordinatorRequest {
  key: string;
  keyType: number;
}

/** Every group (keyType 0) and transactional id (1) is coordinated here. */
export function findCoordinator(ctx: HandlerContext, req: FindCoordinatorRequest): object {
  if (req.keyType !== 0 && req.keyType !== 1) {
    return { throttleTimeMs: 0, errorCode: errorCode('INVALID_REQUEST'), errorMessage: `unknown key type ${req.keyType}`, nodeId: -1, host: '', port: -1 };
  }
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: ctx.nodeId, host: ctx.host, port: ctx.port };
}
