// The reconciliation of a KIP-848 consumer group member towards its target
// assignment (Kafka's CurrentAssignmentBuilder), on its own: revoke first at
// the same epoch, wait for partitions another member still holds.
import { describe, expect, it } from 'vitest';
import type { Assignment } from '../src/broker/groups/assignment.js';
import { reconcile, type MemberAssignmentState } from '../src/broker/groups/reconcile.js';

const a = (entries: Record<string, number[]>): Assignment => new Map(Object.entries(entries).map(([t, ps]) => [t, new Set(ps)]));
const free = (): number => -1;

describe('reconciliation (CurrentAssignmentBuilder)', () => {
  const stable = (epoch: number, assigned: Assignment): MemberAssignmentState => ({ state: 'STABLE', memberEpoch: epoch, previousMemberEpoch: epoch - 1, assigned, pendingRevocation: new Map() });

  it('a stable member at the target epoch stays as it is', () => {
    const m = stable(3, a({ t: [0] }));
    expect(reconcile(m, 3, a({ t: [0, 1] }), free, [])).toBe(m);
  });

  it('revokes first, at the same epoch, and moves on only once the member stops reporting the partitions', () => {
    const m = stable(1, a({ t: [0, 1, 2] }));
    const revoking = reconcile(m, 2, a({ t: [0], u: [5] }), free, [{ topicId: 't', partitions: [0, 1, 2] }]);
    expect(revoking).toEqual({ state: 'UNREVOKED_PARTITIONS', memberEpoch: 1, previousMemberEpoch: 1, assigned: a({ t: [0] }), pendingRevocation: a({ t: [1, 2] }) });
    // Still reporting one of them, or not reporting at all: no progress.
    expect(reconcile(revoking, 2, a({ t: [0], u: [5] }), free, [{ topicId: 't', partitions: [0, 2] }])).toBe(revoking);
    expect(reconcile(revoking, 2, a({ t: [0], u: [5] }), free, null)).toBe(revoking);
    const done = reconcile(revoking, 2, a({ t: [0], u: [5] }), free, [{ topicId: 't', partitions: [0] }]);
    expect(done).toEqual({ state: 'STABLE', memberEpoch: 2, previousMemberEpoch: 1, assigned: a({ t: [0], u: [5] }), pendingRevocation: new Map() });
  });

  it('skips the revocation step when the member already gave the partitions up', () => {
    const m = stable(1, a({ t: [0, 1] }));
    expect(reconcile(m, 2, a({ t: [0] }), free, [{ topicId: 't', partitions: [0] }])).toMatchObject({ state: 'STABLE', memberEpoch: 2, assigned: a({ t: [0] }) });
  });

  it('waits for partitions another member still holds, then takes them', () => {
    const held = new Map([['t:1', 4]]);
    const epochOf = (t: string, p: number): number => held.get(`${t}:${p}`) ?? -1;
    const m = stable(1, a({ t: [0] }));
    const waiting = reconcile(m, 2, a({ t: [0, 1] }), epochOf, [{ topicId: 't', partitions: [0] }]);
    expect(waiting).toMatchObject({ state: 'UNRELEASED_PARTITIONS', memberEpoch: 2, assigned: a({ t: [0] }) });
    expect(reconcile(waiting, 2, a({ t: [0, 1] }), epochOf, [{ topicId: 't', partitions: [0] }])).toMatchObject({ state: 'UNRELEASED_PARTITIONS', memberEpoch: 2, assigned: a({ t: [0] }) });
    held.clear();
    expect(reconcile(waiting, 2, a({ t: [0, 1] }), epochOf, [{ topicId: 't', partitions: [0] }])).toMatchObject({ state: 'STABLE', memberEpoch: 2, assigned: a({ t: [0, 1] }) });
  });
});
