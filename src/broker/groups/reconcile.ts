// How a member of a KIP-848 consumer group moves from the partitions it has
// to its target assignment (Kafka's CurrentAssignmentBuilder). The rule
// that keeps two members from consuming a partition at once: a partition
// goes to its new owner only once its previous owner has revoked it, which
// the previous owner says by leaving it out of the partitions it reports
// owning. Meanwhile:
//
//   STABLE                 has everything of its target it can have, at
//                          the target epoch;
//   UNREVOKED_PARTITIONS   must give up partitions first; stays at its
//                          epoch until its heartbeat no longer reports
//                          them (or its rebalance timeout fences it);
//   UNRELEASED_PARTITIONS  at the target epoch, but some target partitions
//                          are still another member's: they come once
//                          released.
import { type Assignment, copyAssignment, type TopicPartitionsList } from './assignment.js';

export type MemberState = 'STABLE' | 'UNREVOKED_PARTITIONS' | 'UNRELEASED_PARTITIONS';

export interface MemberAssignmentState {
  state: MemberState;
  memberEpoch: number;
  previousMemberEpoch: number;
  /** What the member may consume now. */
  assigned: Assignment;
  /** What it must give up before it moves on. */
  pendingRevocation: Assignment;
}

/** Who holds a partition now, as the epoch of its owner; -1: nobody. */
export type PartitionEpoch = (topicId: string, partition: number) => number;

/** Whether the member still reports owning any of `revoking`; not reporting at all counts as still owning. */
export function ownsAnyOf(owned: readonly TopicPartitionsList[] | null, revoking: Assignment): boolean {
  if (owned === null) return true;
  for (const t of owned) {
    const pending = revoking.get(t.topicId);
    if (pending && t.partitions.some((p) => pending.has(p))) return true;
  }
  return false;
}

/** The member's next state, or the same object if it cannot move yet. */
export function reconcile(
  m: MemberAssignmentState,
  targetEpoch: number,
  target: Assignment,
  partitionEpoch: PartitionEpoch,
  owned: readonly TopicPartitionsList[] | null,
): MemberAssignmentState {
  switch (m.state) {
    case 'STABLE':
      return m.memberEpoch !== targetEpoch ? next(m, m.memberEpoch, targetEpoch, target, partitionEpoch, owned) : m;
    case 'UNREVOKED_PARTITIONS':
      // Revoked once no longer reported: then the member may go on to the next epoch.
      return ownsAnyOf(owned, m.pendingRevocation) ? m : next(m, m.memberEpoch + 1, targetEpoch, target, partitionEpoch, owned);
    case 'UNRELEASED_PARTITIONS':
      return next(m, m.memberEpoch, targetEpoch, target, partitionEpoch, owned);
  }
}

function withEpoch(m: MemberAssignmentState, epoch: number): { memberEpoch: number; previousMemberEpoch: number } {
  return { memberEpoch: epoch, previousMemberEpoch: m.memberEpoch };
}

function next(
  m: MemberAssignmentState,
  memberEpoch: number,
  targetEpoch: number,
  target: Assignment,
  partitionEpoch: PartitionEpoch,
  owned: readonly TopicPartitionsList[] | null,
): MemberAssignmentState {
  let unreleased = false;
  const assigned: Assignment = new Map();
  const revoking: Assignment = new Map();
  const toAssign: Assignment = new Map();
  for (const topicId of new Set([...target.keys(), ...m.assigned.keys()])) {
    const wanted = target.get(topicId) ?? new Set<number>();
    const had = m.assigned.get(topicId) ?? new Set<number>();
    const kept = new Set([...had].filter((p) => wanted.has(p)));
    const revoke = new Set([...had].filter((p) => !kept.has(p)));
    const add = new Set<number>();
    for (const p of wanted) {
      if (kept.has(p)) continue;
      if (partitionEpoch(topicId, p) !== -1) unreleased = true;
      else add.add(p);
    }
    if (kept.size > 0) assigned.set(topicId, kept);
    if (revoke.size > 0) revoking.set(topicId, revoke);
    if (add.size > 0) toAssign.set(topicId, add);
  }
  if (revoking.size > 0 && ownsAnyOf(owned, revoking)) {
    // Revocation first, at the member's current epoch: nothing new until the member confirms.
    return { state: 'UNREVOKED_PARTITIONS', ...withEpoch(m, memberEpoch), assigned, pendingRevocation: revoking };
  }
  const all = copyAssignment(assigned);
  for (const [topicId, ps] of toAssign) all.set(topicId, new Set([...(all.get(topicId) ?? []), ...ps]));
  return { state: unreleased ? 'UNRELEASED_PARTITIONS' : 'STABLE', ...withEpoch(m, targetEpoch), assigned: all, pendingRevocation: new Map() };
}
