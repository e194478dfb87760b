// Group admin: DeleteGroups and OffsetDelete. Both delete committed offsets
// by appending tombstones to __consumer_offsets (offset-store.ts), so the
// deletions hold across restarts.
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import type { HandlerContext, RequestMeta } from './context.js';

/** Each group on its own: GROUP_AUTHORIZATION_FAILED without DELETE on it, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or deleted. */
export async function deleteGroups(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DeleteGroups>, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.DeleteGroups>> {
  const results = [];
  for (const groupId of req.groupsNames) {
    const error = meta.access.can('DELETE', 'GROUP', groupId) ? await ctx.broker.coordinator.deleteGroup(groupId) : 'GROUP_AUTHORIZATION_FAILED';
    results.push({ groupId, errorCode: errorCode(error) });
  }
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
export async function offsetDelete(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.OffsetDelete>, meta: RequestMeta): Promise<OffsetDeleteResponse> {
  const { broker } = ctx;
  // DELETE on the group, then READ on each topic (Kafka's rules).
  if (!meta.access.can('DELETE', 'GROUP', req.groupId)) return { errorCode: errorCode('GROUP_AUTHORIZATION_FAILED'), throttleTimeMs: 0, topics: [] };
  const readable = new Map(req.topics.map((t) => [t.name, meta.access.can('READ', 'TOPIC', t.name)]));
  const exists = (topic: string, partition: number): boolean => {
    const t = broker.topics.get(topic);
    return readable.get(topic) === true && t !== undefined && partition >= 0 && partition < t.partitions;
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
        errorCode: errorCode(known[ti]![pi] ? r.partitions[i++]! : readable.get(t.name) ? 'UNKNOWN_TOPIC_OR_PARTITION' : 'TOPIC_AUTHORIZATION_FAILED'),
      })),
    })),
  };
}
