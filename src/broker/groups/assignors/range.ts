// Kafka's server-side `range` assignor: per topic, its subscribers in a fixed
// order (static members by instance id first, then the others by member id)
// each take one contiguous range of partitions, the first ones a partition
// more when the count does not divide. Two topics with the same partition
// count and the same subscribers are so split the same way: partition i of
// both goes to the same member (co-partitioning, what joins of keyed
// streams need). It is not sticky beyond that order: a member leaving
// shifts the ranges of those after it, as in Kafka.
import { addPartition, type Assignment } from '../assignment.js';
import type { AssignorInput, AssignorMember, ServerAssignor } from './types.js';

/** Kafka's order: members with an instance id first (by it), then by member id. */
export function rangeOrder(a: AssignorMember, b: AssignorMember): number {
  if (a.instanceId !== null && b.instanceId !== null) return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
  if (a.instanceId !== null) return -1;
  if (b.instanceId !== null) return 1;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

export const rangeAssignor: ServerAssignor = {
  name: 'range',
  assign(input: AssignorInput): Map<string, Assignment> {
    const members = [...input.members].sort(rangeOrder);
    const out = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    const topics = new Set<string>();
    for (const m of members) for (const t of m.subscribedTopicIds) topics.add(t);
    for (const topicId of topics) {
      const subscribers = members.filter((m) => m.subscribedTopicIds.has(topicId));
      const partitions = input.partitionCount(topicId);
      const quota = Math.floor(partitions / subscribers.length);
      const extra = partitions % subscribers.length;
      let next = 0;
      subscribers.forEach((m, i) => {
        const length = quota + (i < extra ? 1 : 0);
        for (let p = next; p < next + length; p++) addPartition(out.get(m.memberId)!, topicId, p);
        next += length;
      });
    }
    return out;
  },
};
