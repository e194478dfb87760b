// KIP-848's consumer groups in the coordinator, without a network: whole
// groups over a real storage engine and topic registry (the reconciliation
// state machine on its own: groups-reconcile.test.ts). Timers run on a
// ManualClock: session and rebalance timeouts are passed by advancing it,
// never waited for.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TopicPartitionsList } from '../src/broker/groups/assignment.js';
import { GroupCoordinator, type JoinRequest } from '../src/broker/groups/coordinator.js';
import type { HeartbeatInput } from '../src/broker/groups/consumer-member.js';
import type { HeartbeatResult } from '../src/broker/groups/consumer-groups.js';
import { OffsetStore } from '../src/broker/groups/offset-store.js';
import { TopicRegistry } from '../src/broker/topics.js';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import { tempDir } from './helpers/files.js';
import { ManualClock } from './helpers/manual-clock.js';
import { testRandom } from './helpers/seed.js';

const random = testRandom('groups-consumer');

const SESSION = 45_000;
const INTERVAL = 5_000;
const REBALANCE = 30_000;

describe('consumer groups in the coordinator', () => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: SegmentedEngine;
  let topics: TopicRegistry;
  let offsets: OffsetStore;
  let clock: ManualClock;
  let c: GroupCoordinator;

  beforeEach(async () => {
    tmp = tempDir();
    engine = new SegmentedEngine({ dir: join(tmp.dir, 'log'), flush: { kind: 'none' } });
    await engine.open();
    topics = new TopicRegistry(engine, join(tmp.dir, 'topics.json'));
    topics.open();
    offsets = new OffsetStore(engine, topics);
    offsets.open();
    clock = new ManualClock();
    c = new GroupCoordinator(
      offsets,
      { minSessionTimeoutMs: 50, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxGroups: 10, consumer: { sessionTimeoutMs: SESSION, heartbeatIntervalMs: INTERVAL, maxSize: 3, assignors: ['uniform', 'range'] } },
      clock,
      topics,
    );
  });
  afterEach(async () => {
    c.shutdown();
    await engine.close();
    tmp.cleanup();
  });

  const beat = (over: Partial<HeartbeatInput>): HeartbeatResult =>
    c.consumer.heartbeat({
      apiVersion: 0,
      groupId: 'g',
      memberId: '',
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: REBALANCE,
      subscribedTopicNames: ['t'],
      subscribedTopicRegex: null,
      serverAssignor: null,
      ownedTopicPartitions: [],
      clientId: 'client',
      clientHost: '127.0.0.1',
      mayDescribe: () => true,
      ...over,
    });
  const ok = (r: HeartbeatResult) => {
    if (!r.ok) throw new Error(`${r.error}: ${r.message}`);
    return r;
  };
  /** A member as a client keeps it: its id, epoch, and the partitions it consumes. */
  interface Client {
    memberId: string;
    epoch: number;
    owned: TopicPartitionsList[];
  }
  const joinAs = (over: Partial<HeartbeatInput> = {}): Client => {
    const r = ok(beat(over));
    return { memberId: r.memberId, epoch: r.memberEpoch, owned: r.assignment ?? [] };
  };
  /** A full heartbeat, reporting what the client owns; the client takes the answer's assignment. */
  const heartbeat = (m: Client, over: Partial<HeartbeatInput> = {}): HeartbeatResult => {
    const r = beat({ memberId: m.memberId, memberEpoch: m.epoch, ownedTopicPartitions: m.owned, ...over });
    if (r.ok) {
      m.epoch = r.memberEpoch;
      if (r.assignment) m.owned = r.assignment;
    }
    return r;
  };
  const owned = (...ms: Client[]): string[] => ms.flatMap((m) => m.owned.flatMap((t) => t.partitions.map((p) => `${t.topicId}:${p}`)));
  const noOverlap = (...ms: Client[]): void => {
    const all = owned(...ms);
    expect(new Set(all).size, `overlap in ${all}`).toBe(all.length);
  };

  it('a first member gets every partition at epoch 1; a second one gets its share only after the first revoked it', () => {
    const t = topics.create('t', 4);
    const m1 = joinAs();
    expect(m1.epoch).toBe(1);
    expect(m1.owned).toEqual([{ topicId: t.id, partitions: [0, 1, 2, 3] }]);
    expect(c.consumer.groups.get('g')!.state).toBe('Stable');

    const m2 = joinAs();
    // Its partitions are still the first member's: it waits, at the new epoch, with nothing.
    expect([m2.epoch, m2.owned]).toEqual([2, []]);
    expect(c.consumer.groups.get('g')!.state).toBe('Reconciling');
    ok(heartbeat(m1));
    // Told to give two up, still at epoch 1.
    expect(m1.epoch).toBe(1);
    expect(m1.owned[0]!.partitions).toHaveLength(2);
    noOverlap(m1, m2);
    ok(heartbeat(m2));
    expect(m2.owned).toEqual([]);
    // Having revoked (its heartbeat no longer reports them), it moves to epoch 2; then the second gets them.
    ok(heartbeat(m1));
    expect(m1.epoch).toBe(2);
    ok(heartbeat(m2));
    expect(m2.owned[0]!.partitions).toHaveLength(2);
    noOverlap(m1, m2);
    expect(owned(m1, m2).sort()).toEqual([0, 1, 2, 3].map((p) => `${t.id}:${p}`));
    expect(c.consumer.groups.get('g')!.state).toBe('Stable');
    expect(c.list()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Stable', type: 'consumer' }]);
  });

  it('fences epochs ahead, and behind except the previous one with partitions all still assigned', () => {
    topics.create('t', 2);
    const m = joinAs();
    expect(beat({ memberId: m.memberId, memberEpoch: 5 })).toMatchObject({ ok: false, error: 'FENCED_MEMBER_EPOCH' });
    const m2 = joinAs();
    ok(heartbeat(m)); // revoking at epoch 1
    ok(heartbeat(m)); // revoked: epoch 2
    expect(m.epoch).toBe(2);
    // The answer that took it to 2 was lost: epoch 1 with a subset of its partitions is still taken.
    expect(ok(beat({ memberId: m.memberId, memberEpoch: 1, ownedTopicPartitions: m.owned })).memberEpoch).toBe(2);
    expect(beat({ memberId: m.memberId, memberEpoch: 1, ownedTopicPartitions: [{ topicId: topics.get('t')!.id, partitions: [0, 1] }] })).toMatchObject({ ok: false, error: 'FENCED_MEMBER_EPOCH' });
    expect(beat({ memberId: 'nobody', memberEpoch: 1 })).toMatchObject({ ok: false, error: 'UNKNOWN_MEMBER_ID' });
    // Epoch 0 with its id: a rejoin (what a fenced client sends), its partitions offered again.
    const back = ok(beat({ memberId: m2.memberId, memberEpoch: 0 }));
    expect(back.memberId).toBe(m2.memberId);
  });

  it('removes a member whose session runs out; its partitions go to the others at their next heartbeat', () => {
    topics.create('t', 2);
    const m1 = joinAs();
    const m2 = joinAs();
    ok(heartbeat(m1));
    ok(heartbeat(m1));
    ok(heartbeat(m2));
    expect(owned(m1)).toHaveLength(1);
    const g = c.consumer.groups.get('g')!;
    const epoch = g.groupEpoch;
    clock.advance(SESSION - 1);
    ok(heartbeat(m1)); // m1's session starts again; m2 sent nothing
    clock.advance(1);
    expect(g.members.has(m2.memberId)).toBe(false);
    expect(g.groupEpoch).toBe(epoch + 1);
    expect(g.state).toBe('Assigning');
    ok(heartbeat(m1));
    expect(owned(m1)).toHaveLength(2);
    expect(heartbeat(m2)).toMatchObject({ ok: false, error: 'UNKNOWN_MEMBER_ID' });
  });

  it('fences a member that does not revoke within its rebalance timeout', () => {
    topics.create('t', 2);
    const m1 = joinAs();
    const m2 = joinAs();
    ok(heartbeat(m1, { ownedTopicPartitions: m1.owned })); // told to revoke
    const stubborn = m1.owned;
    clock.advance(REBALANCE - 1);
    ok(heartbeat(m1, { ownedTopicPartitions: [{ topicId: topics.get('t')!.id, partitions: [0, 1] }] })); // still holding both
    m1.owned = stubborn;
    ok(heartbeat(m2)); // keeps m2's session
    clock.advance(1);
    expect(c.consumer.groups.get('g')!.members.has(m1.memberId)).toBe(false);
    ok(heartbeat(m2));
    expect(owned(m2)).toHaveLength(2);
  });

  it('leaves: -1 for good, -2 a static member for now, its partitions kept until it rejoins under a new member id', () => {
    topics.create('t', 2);
    const s = joinAs({ instanceId: 'i1' });
    const d = joinAs();
    ok(heartbeat(s, { instanceId: 'i1' }));
    ok(heartbeat(s, { instanceId: 'i1' }));
    ok(heartbeat(d));
    const held = s.owned;
    expect(held[0]!.partitions).toHaveLength(1);
    expect(ok(beat({ memberId: s.memberId, memberEpoch: -2, instanceId: 'i1' })).memberEpoch).toBe(-2);
    // Nobody else gets its partition meanwhile, and nobody else may take its instance id... unless it left with -2: then its restart can.
    ok(heartbeat(d));
    expect(owned(d)).toHaveLength(1);
    const again = joinAs({ instanceId: 'i1' });
    expect(again.memberId).not.toBe(s.memberId);
    expect(again.owned).toEqual(held);
    expect(beat({ memberId: s.memberId, memberEpoch: 2, instanceId: 'i1' })).toMatchObject({ ok: false, error: 'FENCED_INSTANCE_ID' });
    // Held by a live member: a second process with the same instance id is refused.
    expect(beat({ instanceId: 'i1' })).toMatchObject({ ok: false, error: 'UNRELEASED_INSTANCE_ID' });
    expect(ok(beat({ memberId: d.memberId, memberEpoch: -1 })).memberEpoch).toBe(-1);
    ok(heartbeat(again, { instanceId: 'i1' }));
    expect(owned(again)).toHaveLength(2);
  });

  it('follows the topics: partitions added, a topic created after subscribing, a topic deleted', async () => {
    const t = topics.create('t', 1);
    const m = joinAs({ subscribedTopicNames: ['t', 'later'] });
    const g = c.consumer.groups.get('g')!;
    const epoch = g.groupEpoch;
    await topics.grow('t', 3);
    ok(heartbeat(m, { subscribedTopicNames: ['t', 'later'] }));
    expect(g.groupEpoch).toBe(epoch + 1);
    expect(m.owned).toEqual([{ topicId: t.id, partitions: [0, 1, 2] }]);
    const later = topics.create('later', 1);
    ok(heartbeat(m, { subscribedTopicNames: ['t', 'later'] }));
    expect(g.groupEpoch).toBe(epoch + 2);
    expect(m.owned).toContainEqual({ topicId: later.id, partitions: [0] });
    await topics.delete('t');
    ok(heartbeat(m, { subscribedTopicNames: ['t', 'later'] }));
    // Revoke first (the client reports it no longer owns the deleted topic), then it is gone.
    expect(m.owned).toEqual([{ topicId: later.id, partitions: [0] }]);
    ok(heartbeat(m, { subscribedTopicNames: ['t', 'later'] }));
    expect(g.state).toBe('Stable');
  });

  it('subscribes by regex (v1): whole names matched, topics created later and deleted followed, internal ones and those the principal may not see left out', async () => {
    const orders = topics.create('orders-eu', 2);
    topics.create('orders', 1); // no match: the regex matches whole names
    topics.create('payments', 1);
    topics.create('__orders-internal', 1, {}, true);
    // Its principal may not DESCRIBE orders-secret (each heartbeat carries what its session may see).
    const v1 = { apiVersion: 1, subscribedTopicNames: null, mayDescribe: (t: string) => t !== 'orders-secret' };
    const m = joinAs({ ...v1, memberId: 'm1-uuid', subscribedTopicNames: [], subscribedTopicRegex: 'orders-.*|__orders.*' });
    expect(m.memberId).toBe('m1-uuid'); // its own id, as sent (KIP-1082)
    expect(m.owned).toEqual([{ topicId: orders.id, partitions: [0, 1] }]);
    const g = c.consumer.groups.get('g')!;
    expect([g.subscribesTo('orders-eu'), g.subscribesTo('orders'), g.subscribesTo('__orders-internal')]).toEqual([true, false, false]);
    const epoch = g.groupEpoch;
    // A topic created later that matches joins the subscription at the next heartbeat; one the principal may not see does not.
    const us = topics.create('orders-us', 1);
    topics.create('orders-secret', 1);
    ok(heartbeat(m, v1));
    expect(g.groupEpoch).toBe(epoch + 1);
    expect(m.owned).toContainEqual({ topicId: us.id, partitions: [0] });
    expect(m.owned.map((t) => topics.byId(t.topicId)!.name).sort()).toEqual(['orders-eu', 'orders-us']);
    // A heartbeat with the regex left null keeps it; nothing changed, no new epoch.
    ok(heartbeat(m, { ...v1, subscribedTopicRegex: null }));
    expect(g.groupEpoch).toBe(epoch + 1);
    // Deleted: revoked, then gone.
    await topics.delete('orders-eu');
    ok(heartbeat(m, v1));
    ok(heartbeat(m, v1));
    expect(m.owned).toEqual([{ topicId: us.id, partitions: [0] }]);
    // An empty regex ends the regex subscription; names take over.
    ok(heartbeat(m, { ...v1, subscribedTopicRegex: '', subscribedTopicNames: ['payments'] }));
    // Revoke orders-us, then take payments.
    for (let i = 0; i < 2; i++) ok(heartbeat(m, v1));
    expect(m.owned.map((t) => topics.byId(t.topicId)!.name)).toEqual(['payments']);
    expect(g.subscribesTo('orders-us')).toBe(false);
    expect(g.state).toBe('Stable');
  });

  it('shares one regex between members as the assignor shares topics', () => {
    topics.create('logs-a', 2);
    topics.create('logs-b', 2);
    const v1 = { apiVersion: 1, subscribedTopicNames: null };
    const a = joinAs({ ...v1, memberId: 'a', subscribedTopicNames: [], subscribedTopicRegex: 'logs-[ab]' });
    const b = joinAs({ ...v1, memberId: 'b', subscribedTopicNames: [], subscribedTopicRegex: 'logs-[ab]' });
    for (let i = 0; i < 4; i++) {
      ok(heartbeat(a, v1));
      ok(heartbeat(b, v1));
    }
    noOverlap(a, b);
    expect(owned(a).length + owned(b).length).toBe(4);
    expect([owned(a).length, owned(b).length]).toEqual([2, 2]);
  });

  it('refuses bad heartbeats with INVALID_REQUEST and a reason, an unknown assignor, and members past group.consumer.max.size', () => {
    topics.create('t', 1);
    const bad = (over: Partial<HeartbeatInput>) => beat(over) as { ok: false; error: string; message: string };
    expect(bad({ groupId: '' })).toMatchObject({ error: 'INVALID_REQUEST', message: "GroupId can't be empty." });
    expect(bad({ subscribedTopicNames: [] })).toMatchObject({ error: 'INVALID_REQUEST', message: 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.' });
    expect(bad({ subscribedTopicNames: [], subscribedTopicRegex: '' })).toMatchObject({ error: 'INVALID_REQUEST', message: 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.' });
    // v1: the member makes its own id (KIP-1082).
    expect(bad({ apiVersion: 1 })).toMatchObject({ error: 'INVALID_REQUEST', message: "MemberId can't be empty." });
    expect(bad({ rebalanceTimeoutMs: -1 })).toMatchObject({ error: 'INVALID_REQUEST', message: 'RebalanceTimeoutMs must be provided in first request.' });
    expect(bad({ rebalanceTimeoutMs: -5 })).toMatchObject({ error: 'INVALID_REQUEST' });
    expect(bad({ ownedTopicPartitions: [{ topicId: topics.get('t')!.id, partitions: [0] }] })).toMatchObject({ error: 'INVALID_REQUEST', message: 'TopicPartitions must be empty when (re-)joining.' });
    expect(bad({ memberEpoch: -3 })).toMatchObject({ error: 'INVALID_REQUEST', message: 'MemberEpoch is invalid.' });
    expect(bad({ memberEpoch: 4 })).toMatchObject({ error: 'INVALID_REQUEST', message: "MemberId can't be empty." });
    expect(bad({ subscribedTopicRegex: '.{1000}'.repeat(11) })).toMatchObject({ error: 'INVALID_REGULAR_EXPRESSION', message: expect.stringMatching(/is not a valid regular expression: compiles to \d+ instructions/) });
    expect(bad({ subscribedTopicRegex: 'x.(' })).toMatchObject({ error: 'INVALID_REGULAR_EXPRESSION', message: expect.stringMatching(/^SubscribedTopicRegex `x\.\(` is not a valid regular expression: .*missing closing \)/) });
    expect(bad({ serverAssignor: 'sticky' })).toMatchObject({ error: 'UNSUPPORTED_ASSIGNOR', message: 'ServerAssignor sticky is not supported. Supported assignors: uniform, range.' });
    // None of these left a group behind.
    expect(c.consumer.groups.size).toBe(0);
    const members = [joinAs(), joinAs(), joinAs()];
    expect(bad({})).toMatchObject({ error: 'GROUP_MAX_SIZE_REACHED', message: 'The consumer group has reached its maximum capacity of 3 members.' });
    // A member already in stays welcome.
    expect(heartbeat(members[0]!).ok).toBe(true);
  });

  it('counts groups of both protocols against maxGroups', async () => {
    topics.create('t', 1);
    for (let i = 0; i < 9; i++) joinAs({ groupId: `g${i}` });
    const classic = await c.join({ groupId: 'classic', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: 'h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 1000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false, supportSkippingAssignment: false });
    expect(classic.error).toBe('NONE');
    expect(beat({ groupId: 'one-too-many' })).toMatchObject({ ok: false, error: 'COORDINATOR_NOT_AVAILABLE', message: 'The coordinator holds its maximum of 10 groups.' });
    expect((await c.join({ groupId: 'classic-too-many', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: 'h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 1000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false, supportSkippingAssignment: false })).error).toBe('COORDINATOR_NOT_AVAILABLE');
  });

  it('uses the assignor most members name, else the first configured', () => {
    topics.create('t', 4);
    joinAs();
    expect(c.consumer.groups.get('g')!.assignorName).toBe('uniform');
    joinAs({ serverAssignor: 'range' });
    expect(c.consumer.groups.get('g')!.assignorName).toBe('range');
  });

  it('shares ids with classic groups, one protocol at a time, as Kafka: offsets stay, the other protocol is refused', async () => {
    const t = topics.create('t', 1);
    const classic: JoinRequest = {
      groupId: 'g',
      memberId: '',
      groupInstanceId: null,
      clientId: 'c',
      clientHost: 'h',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 1000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
      requireKnownMemberId: false,
      supportSkippingAssignment: false,
    };
    const joined = await c.join(classic);
    expect(joined.error).toBe('NONE');
    expect(beat({})).toMatchObject({ ok: false, error: 'GROUP_ID_NOT_FOUND', message: 'Group g is not a consumer group.' });
    expect((await c.sync('g', joined.memberId, joined.generationId, new Map())).error).toBe('NONE');
    expect(await c.commit('g', joined.memberId, joined.generationId, [{ topic: 't', partition: 0, offset: 7n, metadata: null }])).toBe('NONE');
    expect(c.leave('g', joined.memberId)).toBe('NONE');
    // Empty (its offsets alone): a consumer member takes the id over, and the offsets with it.
    const m = joinAs();
    expect(m.owned).toEqual([{ topicId: t.id, partitions: [0] }]);
    expect(c.committed('g', 't', 0).offset).toBe(7n);
    expect((await c.join(classic)).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(c.describe('g')).toMatchObject({ state: 'Dead', members: [] });
    expect(c.heartbeat('g', m.memberId, 1)).toBe('UNKNOWN_MEMBER_ID');

    // Commits: the member epoch, OffsetCommit v9+.
    const entry = [{ topic: 't', partition: 0, offset: 9n, metadata: null }];
    expect(await c.commit('g', m.memberId, m.epoch + 1, entry)).toBe('STALE_MEMBER_EPOCH');
    expect(await c.commit('g', 'nobody', m.epoch, entry)).toBe('UNKNOWN_MEMBER_ID');
    expect(await c.commit('g', m.memberId, m.epoch, entry, null, 8)).toBe('UNSUPPORTED_VERSION');
    expect(await c.commit('g', '', -1, entry)).toBe('UNKNOWN_MEMBER_ID'); // an admin while members are in
    expect(await c.commit('g', m.memberId, m.epoch, entry)).toBe('NONE');
    expect(c.validateFetch('g', m.memberId, m.epoch)).toBeNull();
    expect(c.validateFetch('g', null, -1)).toBeNull();
    expect(c.validateFetch('g', m.memberId, m.epoch - 1)).toBe('STALE_MEMBER_EPOCH');
    expect(c.validateFetch('g', 'nobody', 1)).toBe('UNKNOWN_MEMBER_ID');

    expect(await c.deleteOffsets('g', [{ topic: 't', partition: 0 }])).toEqual({ error: 'NONE', partitions: ['GROUP_SUBSCRIBED_TO_TOPIC'] });
    expect(await c.deleteGroup('g')).toBe('NON_EMPTY_GROUP');
    expect(c.list({ types: ['classic'] })).toEqual([]);
    expect(c.list({ types: ['Consumer'], states: ['stable'] })).toHaveLength(1);
    ok(beat({ memberId: m.memberId, memberEpoch: -1 }));
    // Nobody subscribes any more: its offsets may go.
    expect(c.consumer.groups.get('g')!.subscribesTo('t')).toBe(false);
    // Empty, with offsets: still a consumer group, until deleted.
    expect(c.list()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Empty', type: 'consumer' }]);
    expect(await c.commit('g', '', -1, entry)).toBe('NONE');
    expect(await c.deleteGroup('g')).toBe('NONE');
    expect(c.has('g')).toBe(false);
    expect(c.committed('g', 't', 0).offset).toBe(-1n);
  });

  it('never has a partition with two members, whatever joins, heartbeats, leaves and topic growth come in (seeded random runs)', async () => {
    const big = new GroupCoordinator(offsets, { minSessionTimeoutMs: 50, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxGroups: 10, consumer: { sessionTimeoutMs: SESSION, heartbeatIntervalMs: INTERVAL, maxSize: 8, assignors: ['uniform', 'range'] } }, clock, topics);
    try {
      topics.create('t', random.int(1, 12));
      topics.create('u', random.int(1, 6));
      const subscriptions = [['t'], ['u'], ['t', 'u']];
      for (let run = 0; run < 5; run++) {
        const groupId = `sim${run}`;
        const clients: (Client & { topics: string[] })[] = [];
        const send = (m: Client & { topics: string[] }): void => {
          const r = big.consumer.heartbeat({ groupId, memberId: m.memberId, memberEpoch: m.epoch, instanceId: null, rackId: null, rebalanceTimeoutMs: REBALANCE, subscribedTopicNames: m.topics, subscribedTopicRegex: null, serverAssignor: run % 2 ? 'range' : null, ownedTopicPartitions: m.owned, clientId: 'sim', clientHost: 'h', apiVersion: 0, mayDescribe: () => true });
          if (!r.ok && (r.error === 'UNKNOWN_MEMBER_ID' || r.error === 'FENCED_MEMBER_EPOCH') && m.epoch !== 0) {
            // Removed meanwhile (its session or rebalance timeout ran out): as a client does, it drops everything and rejoins.
            m.epoch = 0;
            m.owned = [];
            return send(m);
          }
          if (!r.ok) throw new Error(`${r.error}: ${r.message}`);
          m.epoch = r.memberEpoch;
          if (r.assignment) m.owned = r.assignment;
        };
        const check = (step: number) => {
          const g = big.consumer.groups.get(groupId);
          const held = g ? [...g.members.values()].flatMap((m) => [...m.assigned, ...m.pendingRevocation].flatMap(([t, ps]) => [...ps].map((p) => `${t}:${p}`))) : [];
          expect(new Set(held).size, `run ${run} step ${step}: ${held}`).toBe(held.length);
          // Clients the coordinator still counts as members (one it removed may not know yet: Kafka's zombie, fenced at its next request).
          const owned = owned_(...clients.filter((m) => g?.members.has(m.memberId)));
          expect(new Set(owned).size, `run ${run} step ${step}: clients own ${owned}`).toBe(owned.length);
        };
        const owned_ = (...ms: Client[]) => ms.flatMap((m) => m.owned.flatMap((t) => t.partitions.map((p) => `${t.topicId}:${p}`)));
        for (let step = 0; step < 150; step++) {
          const action = random.next();
          if (clients.length === 0 || (action < 0.15 && clients.length < 8)) {
            const m = { memberId: '', epoch: 0, owned: [] as TopicPartitionsList[], topics: subscriptions[random.int(0, 2)]! };
            const r = big.consumer.heartbeat({ groupId, memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: REBALANCE, subscribedTopicNames: m.topics, subscribedTopicRegex: null, serverAssignor: null, ownedTopicPartitions: [], clientId: 'sim', clientHost: 'h', apiVersion: 0, mayDescribe: () => true });
            if (!r.ok) throw new Error(`${r.error}: ${r.message}`);
            Object.assign(m, { memberId: r.memberId, epoch: r.memberEpoch, owned: r.assignment ?? [] });
            clients.push(m);
          } else if (action < 0.22) {
            const [m] = clients.splice(random.int(0, clients.length - 1), 1);
            const member = big.consumer.groups.get(groupId)?.members.has(m!.memberId) ?? false;
            const left = big.consumer.heartbeat({ groupId, memberId: m!.memberId, memberEpoch: -1, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, ownedTopicPartitions: null, clientId: 'sim', clientHost: 'h', apiVersion: 0, mayDescribe: () => true });
            // One whose session ran out while it sent nothing is gone already: its leave is answered UNKNOWN_MEMBER_ID, as by Kafka.
            expect(left.ok ? 'left' : left.error, `run ${run} step ${step}`).toBe(member ? 'left' : 'UNKNOWN_MEMBER_ID');
          } else if (action < 0.25) {
            const name = random.next() < 0.5 ? 't' : 'u';
            const now = topics.get(name)!.partitions;
            if (now < 16) await topics.grow(name, now + 1);
          } else if (action < 0.3) {
            clients[random.int(0, clients.length - 1)]!.topics = subscriptions[random.int(0, 2)]!;
          } else {
            send(clients[random.int(0, clients.length - 1)]!);
          }
          clock.advance(random.int(0, 1000));
          check(step);
        }
        // Then everyone heartbeats until the group settles: every subscribed partition with exactly one member.
        // One round at least: a group that says Stable has not seen a topic that grew since its last heartbeat
        // (as in Kafka, where a metadata change is taken up at the next heartbeat).
        for (let round = 0; round < 20 && (round === 0 || big.consumer.groups.get(groupId)?.state !== 'Stable'); round++) for (const m of clients) send(m);
        if (clients.length > 0) {
          expect(big.consumer.groups.get(groupId)!.state).toBe('Stable');
          const wanted = [...new Set(clients.flatMap((m) => m.topics))].flatMap((name) => Array.from({ length: topics.get(name)!.partitions }, (_, p) => `${topics.get(name)!.id}:${p}`));
          expect(owned_(...clients).sort()).toEqual(wanted.sort());
        }
      }
    } finally {
      big.shutdown();
    }
  });

  it('forgets a group whose last member left when it has no offsets; a member of it is then told to rejoin (FENCED_MEMBER_EPOCH)', () => {
    topics.create('t', 1);
    const m = joinAs();
    ok(beat({ memberId: m.memberId, memberEpoch: -1 }));
    expect(c.consumer.groups.has('g')).toBe(false);
    expect(heartbeat(m)).toMatchObject({ ok: false, error: 'FENCED_MEMBER_EPOCH' });
    expect(beat({ memberId: m.memberId, memberEpoch: -1 })).toMatchObject({ ok: false, error: 'UNKNOWN_MEMBER_ID' });
  });
});
