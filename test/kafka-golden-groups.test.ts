// The classic group protocol's flexible versions, checked against
// @platformatic/kafka's own encoders and parsers (test/helpers/platformatic.ts):
// a real group goes through the running broker at every version the library
// implements — a member-id-required join, a static member joining, sync,
// heartbeat, commit, fetch, describe, list, a static restart that fences the
// old member id, and a batched leave — and the parsed answers are checked.
import type { Connection } from '@platformatic/kafka';
import {
  describeGroupsV5,
  heartbeatV4,
  joinGroupV6,
  joinGroupV7,
  joinGroupV8,
  joinGroupV9,
  leaveGroupV4,
  leaveGroupV5,
  listGroupsV4,
  listGroupsV5,
  offsetCommitV8,
  offsetCommitV9,
  offsetFetchV8,
  offsetFetchV9,
  syncGroupV4,
  syncGroupV5,
} from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { call, callAllowingErrors, closePlatformatic, openPlatformatic, type VersionedApi } from './helpers/platformatic.js';
import { until } from './helpers/until.js';

interface Versions {
  join: VersionedApi;
  sync: VersionedApi;
  leave: VersionedApi;
  commit: VersionedApi;
  fetch: VersionedApi;
  list: VersionedApi;
}

// Every version the library implements appears at least once.
const COMBINATIONS: [number, Versions][] = [
  [6, { join: joinGroupV6, sync: syncGroupV4, leave: leaveGroupV4, commit: offsetCommitV8, fetch: offsetFetchV8, list: listGroupsV4 }],
  [7, { join: joinGroupV7, sync: syncGroupV5, leave: leaveGroupV5, commit: offsetCommitV9, fetch: offsetFetchV9, list: listGroupsV5 }],
  [8, { join: joinGroupV8, sync: syncGroupV5, leave: leaveGroupV5, commit: offsetCommitV9, fetch: offsetFetchV9, list: listGroupsV5 }],
  [9, { join: joinGroupV9, sync: syncGroupV5, leave: leaveGroupV5, commit: offsetCommitV9, fetch: offsetFetchV9, list: listGroupsV5 }],
];

const PROTOCOLS = [{ name: 'range', metadata: Buffer.from('subscription') }];
const FENCED_INSTANCE_ID = 82;
const MEMBER_ID_REQUIRED = 79;

describe('group APIs against @platformatic/kafka', () => {
  let broker: TestBroker;
  let a: Connection;
  let b: Connection;

  beforeAll(async () => {
    broker = await startTestBroker();
    broker.broker.topics.create('t', 2);
    // One connection per member: a held JoinGroup holds the answers behind it on its connection.
    a = await openPlatformatic(broker.port, 'golden-a');
    b = await openPlatformatic(broker.port, 'golden-b');
  });
  afterAll(async () => {
    await closePlatformatic(a);
    await closePlatformatic(b);
    await broker.destroy();
  });

  it.each(COMBINATIONS)('JoinGroup v%i with its sibling versions', async (joinV, api) => {
    const group = `golden${joinV}`;
    const join = (c: Connection, memberId: string, instanceId: string | null) =>
      callAllowingErrors(c, api.join, group, 10_000, 10_000, memberId, instanceId, 'consumer', PROTOCOLS, 'golden test');

    // A: a dynamic member, with KIP-394's member-id-required round.
    const first = await join(a, '', null);
    expect(first.errorCode).toBe(MEMBER_ID_REQUIRED);
    const one = await join(a, first.memberId, null);
    expect(one).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, memberId: first.memberId, skipAssignment: false });
    const aId: string = one.memberId;

    // B: a static member, no second round; A rejoins once B's join has started the rebalance.
    const bJoining = join(b, '', 'b-instance');
    await until('B has joined', () => broker.broker.coordinator.describe(group).members.length === 2);
    const [aJoin, bJoin] = await Promise.all([join(a, aId, null), bJoining]);
    expect(aJoin.generationId).toBe(2);
    expect(bJoin).toMatchObject({ errorCode: 0, generationId: 2, leader: aId, members: [], skipAssignment: false });
    expect(bJoin.memberId).toMatch(/^b-instance-/);
    const bId: string = bJoin.memberId;
    expect(aJoin.members).toEqual([
      { memberId: aId, groupInstanceId: null, metadata: PROTOCOLS[0]!.metadata },
      { memberId: bId, groupInstanceId: 'b-instance', metadata: PROTOCOLS[0]!.metadata },
    ]);
    expect(aJoin.protocolName).toBe('range');
    if (joinV >= 7) expect(aJoin.protocolType).toBe('consumer');

    const gen = 2;
    const assignments = [
      { memberId: aId, assignment: Buffer.from('for-a') },
      { memberId: bId, assignment: Buffer.from('for-b') },
    ];
    const [aSync, bSync] = await Promise.all([
      call(a, api.sync, group, gen, aId, null, 'consumer', 'range', assignments),
      call(b, api.sync, group, gen, bId, 'b-instance', 'consumer', 'range', []),
    ]);
    expect([aSync.assignment.toString(), bSync.assignment.toString()]).toEqual(['for-a', 'for-b']);
    if (api.sync === syncGroupV5) expect([bSync.protocolType, bSync.protocolName]).toEqual(['consumer', 'range']);

    expect((await call(a, heartbeatV4, group, gen, aId, null)).errorCode).toBe(0);
    expect((await call(b, heartbeatV4, group, gen, bId, 'b-instance')).errorCode).toBe(0);

    const partitions = [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 2, committedMetadata: 'x' }];
    const committed = await call(a, api.commit, group, gen, aId, null, [{ name: 't', partitions }]);
    expect(committed.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }]);

    const fetched = await call(a, api.fetch, [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0, 1] }] }], true);
    expect(fetched.groups).toEqual([
      {
        groupId: group,
        errorCode: 0,
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 2, metadata: 'x', errorCode: 0 },
              { partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
            ],
          },
        ],
      },
    ]);

    const described = await call(a, describeGroupsV5, [group], true);
    expect(described.groups[0]).toMatchObject({ errorCode: 0, groupId: group, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', authorizedOperations: (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11) });
    expect(described.groups[0].members.map((m: { memberId: string; groupInstanceId: string | null; clientId: string; memberAssignment: Buffer }) => [m.memberId, m.groupInstanceId, m.clientId, m.memberAssignment.toString()])).toEqual([
      [aId, null, 'golden-a', 'for-a'],
      [bId, 'b-instance', 'golden-b', 'for-b'],
    ]);

    const listed = await call(a, api.list, ['stable'], ['classic']);
    expect(listed.groups.find((g: { groupId: string }) => g.groupId === group)).toMatchObject({ protocolType: 'consumer', groupState: 'Stable' });
    if (api.list === listGroupsV5) expect(listed.groups.find((g: { groupId: string }) => g.groupId === group).groupType).toBe('classic');
    const empties = await call(a, api.list, ['empty'], ['classic']);
    expect(empties.groups.map((g: { groupId: string }) => g.groupId)).not.toContain(group);

    // B restarts: same instance id, empty member id. It takes B's place in the same generation; the old id is fenced.
    const back = await join(b, '', 'b-instance');
    expect(back).toMatchObject({ errorCode: 0, generationId: gen, leader: aId, members: [], skipAssignment: false });
    expect(back.memberId).not.toBe(bId);
    const stale = await callAllowingErrors(b, heartbeatV4, group, gen, bId, 'b-instance');
    expect(stale.errorCode).toBe(FENCED_INSTANCE_ID);
    const resync = await call(b, api.sync, group, gen, back.memberId, 'b-instance', 'consumer', 'range', []);
    expect(resync.assignment.toString()).toBe('for-b');

    const left = await call(a, api.leave, group, [
      { memberId: aId, groupInstanceId: null, reason: 'done' },
      { memberId: '', groupInstanceId: 'b-instance', reason: 'scaled down' },
    ]);
    expect(left).toMatchObject({ errorCode: 0, members: [
      { memberId: aId, groupInstanceId: null, errorCode: 0 },
      { memberId: '', groupInstanceId: 'b-instance', errorCode: 0 },
    ] });
    expect((await call(a, describeGroupsV5, [group], false)).groups[0]).toMatchObject({ groupState: 'Empty', members: [], authorizedOperations: -2147483648 });
  });
});
