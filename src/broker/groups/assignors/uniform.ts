// Kafka's server-side `uniform` assignor (the default), written afresh:
// balance first, then stickiness. Balance: no member has more than one
// partition more than another that could take one of its partitions (when
// all subscribe to the same topics: than any other member). Stickiness: a
// member keeps as many of its current target partitions as balance allows,
// so a member joining or leaving moves only the partitions it must.
//
// Two paths, as Kafka's (UniformHomogeneousAssignmentBuilder and
// UniformHeterogeneousAssignmentBuilder): with identical subscriptions each
// member's share is known up front (a quota); with different ones,
// partitions go to the least loaded member that subscribes to them, then
// single partitions move from a member to a less loaded subscriber until
// none can.
import { addPartition, type Assignment } from '../assignment.js';
import type { AssignorInput, AssignorMember, ServerAssignor } from './types.js';

interface TopicPartition {
  topicId: string;
  partition: number;
}

const byMemberId = (a: AssignorMember, b: AssignorMember): number => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);
const key = (tp: TopicPartition): string => `${tp.topicId}:${tp.partition}`;

/** Every partition of these topics, in a fixed order. */
function partitionsOf(topicIds: Iterable<string>, input: AssignorInput): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (const topicId of [...topicIds].sort()) for (let p = 0; p < input.partitionCount(topicId); p++) out.push({ topicId, partition: p });
  return out;
}

/** A member's current partitions it may still have: of a topic it subscribes to, that still exists, in order. */
function stillValid(m: AssignorMember, input: AssignorInput): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (const [topicId, ps] of input.current.get(m.memberId) ?? []) {
    if (!m.subscribedTopicIds.has(topicId)) continue;
    const count = input.partitionCount(topicId);
    for (const p of ps) if (p < count) out.push({ topicId, partition: p });
  }
  return out.sort((a, b) => (a.topicId < b.topicId ? -1 : a.topicId > b.topicId ? 1 : a.partition - b.partition));
}

function homogeneous(members: AssignorMember[], input: AssignorInput): Map<string, TopicPartition[]> {
  const all = partitionsOf(members[0]!.subscribedTopicIds, input);
  const minQuota = Math.floor(all.length / members.length);
  let extra = all.length % members.length;
  const claimed = new Set<string>();
  const owned = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
  const leftovers = new Map<string, TopicPartition[]>();
  // Each member keeps up to its quota of what it has; then those with more keep one more while extra shares last.
  for (const m of members) {
    const mine = owned.get(m.memberId)!;
    const rest: TopicPartition[] = [];
    for (const tp of stillValid(m, input)) {
      if (claimed.has(key(tp))) continue;
      if (mine.length < minQuota) {
        mine.push(tp);
        claimed.add(key(tp));
      } else rest.push(tp);
    }
    leftovers.set(m.memberId, rest);
  }
  for (const m of members) {
    if (extra === 0) break;
    const tp = leftovers.get(m.memberId)!.find((x) => !claimed.has(key(x)));
    if (tp === undefined) continue;
    owned.get(m.memberId)!.push(tp);
    claimed.add(key(tp));
    extra--;
  }
  const pool = all.filter((tp) => !claimed.has(key(tp)));
  let next = 0; // into pool: shift() would make this quadratic in the partitions
  for (const m of members) {
    const mine = owned.get(m.memberId)!;
    while (mine.length < minQuota) mine.push(pool[next++]!);
  }
  for (const m of members) {
    if (next === pool.length) break;
    const mine = owned.get(m.memberId)!;
    if (mine.length === minQuota) mine.push(pool[next++]!);
  }
  return owned;
}

function heterogeneous(members: AssignorMember[], input: AssignorInput): Map<string, TopicPartition[]> {
  const owner = new Map<string, string>();
  const owned = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
  const subscribers = new Map<string, AssignorMember[]>();
  for (const m of members) {
    for (const t of m.subscribedTopicIds) {
      const list = subscribers.get(t);
      if (list) list.push(m);
      else subscribers.set(t, [m]);
    }
  }
  const count = (id: string): number => owned.get(id)!.length;
  const leastLoaded = (topicId: string): AssignorMember => subscribers.get(topicId)!.reduce((best, m) => (count(m.memberId) < count(best.memberId) ? m : best));
  for (const m of members) {
    for (const tp of stillValid(m, input)) {
      if (owner.has(key(tp))) continue;
      owner.set(key(tp), m.memberId);
      owned.get(m.memberId)!.push(tp);
    }
  }
  // The partitions fewest members can take go first, while there is still a choice for the others.
  const pool = partitionsOf(subscribers.keys(), input).filter((tp) => !owner.has(key(tp)));
  pool.sort((a, b) => subscribers.get(a.topicId)!.length - subscribers.get(b.topicId)!.length);
  for (const tp of pool) {
    const m = leastLoaded(tp.topicId);
    owner.set(key(tp), m.memberId);
    owned.get(m.memberId)!.push(tp);
  }
  // Each move lowers the sum of squared loads, so this ends; the bound only guards against a bug looping.
  for (let moved = true, rounds = 0; moved && rounds < pool.length + owner.size + 1; rounds++) {
    moved = false;
    for (const from of [...members].sort((a, b) => count(b.memberId) - count(a.memberId))) {
      const mine = owned.get(from.memberId)!;
      for (let i = mine.length - 1; i >= 0; i--) {
        const tp = mine[i]!;
        const to = leastLoaded(tp.topicId);
        if (count(to.memberId) + 1 >= mine.length) continue;
        mine.splice(i, 1);
        owned.get(to.memberId)!.push(tp);
        owner.set(key(tp), to.memberId);
        moved = true;
      }
    }
  }
  return owned;
}

export const uniformAssignor: ServerAssignor = {
  name: 'uniform',
  assign(input: AssignorInput): Map<string, Assignment> {
    const members = [...input.members].sort(byMemberId);
    const out = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    if (members.length === 0) return out;
    const first = members[0]!.subscribedTopicIds;
    const same = members.every((m) => m.subscribedTopicIds.size === first.size && [...first].every((t) => m.subscribedTopicIds.has(t)));
    const owned = same ? homogeneous(members, input) : heterogeneous(members, input);
    for (const [memberId, tps] of owned) for (const tp of tps) addPartition(out.get(memberId)!, tp.topicId, tp.partition);
    return out;
  },
};
