// Group admin: DeleteGroups and OffsetDelete. Both delete committed offsets
// by appending tombstones to __consumer_offsets (offset-store.ts), so the
// deletions hold across restarts.
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import type { HandlerContext } from './context.js';

/** Each group on its own: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or deleted. */
export async function deleteGroups(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DeleteGroups>): Promise<ResponseInput<typeof ApiKeys.DeleteGroups>> {
  const results = [];
  for (const groupId of req.groupsNames) results.push({ groupId, errorCode: errorCode(await ctx.broker.coordinator.deleteGroup(groupId)) });
  return { throttleTimeMs: 0, results };
}

type OffsetDeleteResponse = ResponseInput<typeof ApiKeys.OffsetDelete>;

/**
 * A group-level error answers alone, with no topics (as Kafka's). Else per
 * partition: UNKNOWN_TOPIC_OR_PARTITION for one that does not exist (as
 * Kafka's, which checks its metadata first), GROUP_SUBSCRIBED_TO_TOPIC if a
 * live member consumes the topic, else deleted (NONE, whether or not
 * anything was committed).
 */
export async function offsetDelete(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.OffsetDelete>): Promise<OffsetDeleteResponse> {
  const { broker } = ctx;
  const exists = (topic: string, partition: number): boolean => {
    const t = broker.topics.get(topic);
    return t !== undefined && partition >= 0 && partition < t.partitions;
  };
  // Decided once, before waiting: a topic deleted meanwhile must not shift the answers.
  const known = req.topics.map((t) => t.partitions.map((p) => exists(t.name, p.partitionIndex)));
  const wanted = req.topics.flatMap((t, ti) => t.partitions.filter((_, pi) => known[ti]![pi]).map((p) => ({ topic: t.name, partition: p.partitionIndex })));
  const r = await broker.coordinator.deleteOffsets(req.groupId, wanted);
  if (r.error !== 'NONE') return { errorCode: errorCode(r.error), throttleTimeMs: 0, topics: [] };
  let i = 0;
  return {
    errorCode: 0,
    throttleTimeMs: 0,
    topics: req.topics.map((t, ti) => ({
      name: t.name,
      partitions: t.partitions.map((p, pi) => ({
        partitionIndex: p.partitionIndex,
        errorCode: errorCode(known[ti]![pi] ? r.partitions[i++]! : 'UNKNOWN_TOPIC_OR_PARTITION'),
      })),
    })),
  };
}
