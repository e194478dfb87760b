// The group coordinator's membership protocol and committed offsets, over a
// real storage engine. Its timers run on a ManualClock: timeouts and the
// initial rebalance delay are passed by advancing it, never waited for.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCoordinator, type JoinRequest } from '../src/broker/groups/coordinator.js';
import { OffsetStore } from '../src/broker/groups/offset-store.js';
import { TopicRegistry } from '../src/broker/topics.js';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import { tempDir } from './helpers/files.js';
import { ManualClock } from './helpers/manual-clock.js';

// Kafka's default delay: free to use, since the clock is moved by hand.
const DELAY = 3000;
const settings = { minSessionTimeoutMs: 50, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: DELAY, maxGroups: 100 };

describe('group coordinator', () => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: SegmentedEngine;
  let coordinator: GroupCoordinator;
  let clock: ManualClock;
  let offsets: OffsetStore;

  const start = async (): Promise<GroupCoordinator> => {
    engine = new SegmentedEngine({ dir: join(tmp.dir, 'log'), flush: { kind: 'none' } });
    await engine.open();
    const topics = new TopicRegistry(engine, join(tmp.dir, 'topics.json'));
    topics.open();
    offsets = new OffsetStore(engine, topics);
    offsets.open();
    clock = new ManualClock();
    coordinator = new GroupCoordinator(offsets, settings, clock);
    return coordinator;
  };
  const req = (memberId: string, over: Partial<JoinRequest> = {}): JoinRequest => ({
    groupId: 'g',
    memberId,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 500,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from(`meta-${memberId}`) }],
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    ...over,
  });
  /** KIP-394's first step, as a JoinGroup v4+ client takes it: the member id to join with. */
  const memberId = async (c: GroupCoordinator, over: Partial<JoinRequest> = {}): Promise<string> => {
    const first = await c.join(req('', { requireKnownMemberId: true, ...over }));
    expect(first.error).toBe('MEMBER_ID_REQUIRED');
    return first.memberId;
  };
  /** The second step: the JoinGroup the broker holds until the join phase ends. */
  const joinAs = (c: GroupCoordinator, id: string, over: Partial<JoinRequest> = {}) => c.join(req(id, { requireKnownMemberId: true, ...over }));
  /** n new members join an empty group together; the initial delay passes. */
  const formGroup = async (c: GroupCoordinator, n: number, over: Partial<JoinRequest> = {}) => {
    const ids = await Promise.all(Array.from({ length: n }, () => memberId(c, over)));
    const joins = ids.map((id) => joinAs(c, id, over));
    clock.advance(DELAY);
    return Promise.all(joins);
  };
  const syncAll = (c: GroupCoordinator, joins: { memberId: string; leader: string; generationId: number }[]) =>
    Promise.all(joins.map((j) => c.sync('g', j.memberId, j.generationId, j.memberId === j.leader ? new Map() : null)));
  const state = () => coordinator.describe('g').state;

  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    coordinator?.shutdown();
    await engine.close();
    tmp.cleanup();
  });

  it('forms a generation: one leader sees every member, the leader assigns, everyone syncs', async () => {
    const c = await start();
    const joins = await formGroup(c, 3);
    const gen = joins[0]!.generationId;
    expect(joins.every((j) => j.error === 'NONE' && j.generationId === gen && j.leader === joins[0]!.leader)).toBe(true);
    const leader = joins.find((j) => j.memberId === j.leader)!;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual(joins.map((j) => j.memberId).sort());
    expect(joins.filter((j) => j.memberId !== j.leader).every((j) => j.members.length === 0)).toBe(true);
    const assignments = new Map(joins.map((j, i) => [j.memberId, Buffer.from(`part-${i}`)]));
    const syncs = await Promise.all(joins.map((j) => c.sync('g', j.memberId, gen, j.memberId === j.leader ? assignments : null)));
    expect(syncs.map((s) => s.assignment.toString())).toEqual(['part-0', 'part-1', 'part-2']);
    expect(state()).toBe('Stable');
    expect(joins.map((j) => c.heartbeat('g', j.memberId, gen))).toEqual(['NONE', 'NONE', 'NONE']);
    expect(c.heartbeat('g', joins[0]!.memberId, gen - 1)).toBe('ILLEGAL_GENERATION');
    expect(c.heartbeat('g', 'stranger', gen)).toBe('UNKNOWN_MEMBER_ID');
  });

  it('holds the first join of an empty group for the initial delay, and then nothing more: sync and heartbeats answer at once', async () => {
    const c = await start();
    const joining = joinAs(c, await memberId(c));
    clock.advance(DELAY - 1);
    expect(state()).toBe('PreparingRebalance');
    clock.advance(1);
    expect(state()).toBe('CompletingRebalance');
    const j = await joining;
    expect(j).toMatchObject({ error: 'NONE', generationId: 1 });
    // From here on the clock stands still: nothing may wait on it.
    const s = await c.sync('g', j.memberId, j.generationId, new Map([[j.memberId, Buffer.from('p0')]]));
    expect(s.assignment.toString()).toBe('p0');
    expect(state()).toBe('Stable');
    expect(c.heartbeat('g', j.memberId, j.generationId)).toBe('NONE');
    expect(clock.pending()).toEqual([10_000]); // the member's session, nothing else
  });

  it('extends the initial delay while new members arrive, never past the rebalance timeout (InitialDelayedJoin)', async () => {
    const c = await start();
    const over = { rebalanceTimeoutMs: 10_000 };
    const joins = [joinAs(c, await memberId(c, over), over)];
    // A newcomer every 2 s: each step of the delay sees someone new.
    for (let t = 2000; t < 10_000; t += 2000) {
      clock.advance(2000);
      joins.push(joinAs(c, await memberId(c, over), over));
    }
    clock.advance(1999); // t = 9,999
    expect(state()).toBe('PreparingRebalance');
    clock.advance(1);
    const done = await Promise.all(joins);
    expect(new Set(done.map((j) => j.generationId))).toEqual(new Set([1]));
    expect(done.find((j) => j.memberId === j.leader)!.members).toHaveLength(5);
  });

  it('adds one step of delay for a newcomer, and ends after a step in which nobody new came', async () => {
    const c = await start();
    const over = { rebalanceTimeoutMs: 60_000 };
    const a = joinAs(c, await memberId(c, over), over);
    clock.advance(1000);
    const b = joinAs(c, await memberId(c, over), over);
    clock.advance(DELAY - 1000); // the first step ends; b was new, so one more step
    expect(state()).toBe('PreparingRebalance');
    clock.advance(DELAY - 1);
    expect(state()).toBe('PreparingRebalance');
    clock.advance(1);
    expect((await Promise.all([a, b])).map((j) => j.generationId)).toEqual([1, 1]);
  });

  it('starts the delay over when the group empties during it', async () => {
    const c = await start();
    const first = await memberId(c);
    const a = joinAs(c, first);
    clock.advance(1000);
    expect(c.leave('g', first)).toBe('NONE');
    expect((await a).error).toBe('UNKNOWN_MEMBER_ID');
    expect(state()).toBe('Dead'); // no members, no offsets: forgotten
    expect(clock.pending()).toEqual([]);
    const b = joinAs(c, await memberId(c));
    clock.advance(DELAY - 1);
    expect(state()).toBe('PreparingRebalance');
    clock.advance(1);
    expect((await b).error).toBe('NONE');
  });

  it('rebalances when a member leaves, and the others rejoin into a new generation', async () => {
    const c = await start();
    const [a, b] = await formGroup(c, 2);
    await syncAll(c, [a!, b!]);
    expect(c.leave('g', a!.memberId)).toBe('NONE');
    expect(c.heartbeat('g', b!.memberId, b!.generationId)).toBe('REBALANCE_IN_PROGRESS');
    // Not an empty group: no initial delay, and b is the only member left to wait for.
    const again = await c.join(req(b!.memberId));
    expect(again.generationId).toBe(b!.generationId + 1);
    expect(again.leader).toBe(b!.memberId);
    expect(c.describe('g').members.map((m) => m.memberId)).toEqual([b!.memberId]);
  });

  it('answers a member rejoining unchanged while the group completes a rebalance with the current generation (the leader with the members)', async () => {
    const c = await start();
    const [a, b] = await formGroup(c, 2);
    expect(state()).toBe('CompletingRebalance');
    const [leader, follower] = a!.memberId === a!.leader ? [a!, b!] : [b!, a!];
    const again = await Promise.all([c.join(req(leader.memberId)), c.join(req(follower.memberId))]);
    expect(state()).toBe('CompletingRebalance');
    expect(again.map((j) => [j.error, j.generationId, j.leader, j.members.length])).toEqual([
      ['NONE', leader.generationId, leader.memberId, 2],
      ['NONE', leader.generationId, leader.memberId, 0],
    ]);
    // New metadata: a rebalance.
    void c.join(req(follower.memberId, { protocols: [{ name: 'range', metadata: Buffer.from('changed') }] }));
    expect(state()).toBe('PreparingRebalance');
  });

  it('evicts a member whose session expires', async () => {
    const c = await start();
    const [a, b] = await formGroup(c, 2, { sessionTimeoutMs: 80 });
    await syncAll(c, [a!, b!]);
    clock.advance(50);
    expect(c.heartbeat('g', b!.memberId, b!.generationId)).toBe('NONE'); // b stays alive, a goes silent
    clock.advance(29);
    expect(c.describe('g').members).toHaveLength(2);
    clock.advance(1);
    expect(c.describe('g').members.map((m) => m.memberId)).toEqual([b!.memberId]);
    expect(c.heartbeat('g', b!.memberId, b!.generationId)).toBe('REBALANCE_IN_PROGRESS');
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const c = await start();
    const [a, b] = await formGroup(c, 2, { rebalanceTimeoutMs: 100 });
    await syncAll(c, [a!, b!]);
    const joining = joinAs(c, await memberId(c), { rebalanceTimeoutMs: 100 }); // a and b never rejoin
    clock.advance(99);
    expect(state()).toBe('PreparingRebalance');
    clock.advance(1);
    const newcomer = await joining;
    expect(newcomer.error).toBe('NONE');
    expect(c.describe('g').members.map((m) => m.memberId).sort()).toEqual([newcomer.memberId]);
  });

  it('creates a group only for an empty member id, and forgets a group left with no members and no offsets', async () => {
    const c = await start(); // at most 100 groups
    expect((await c.join(req('someone', { groupId: 'new' }))).error).toBe('UNKNOWN_MEMBER_ID');
    expect((await c.join(req('someone', { groupId: 'new', requireKnownMemberId: true }))).error).toBe('UNKNOWN_MEMBER_ID');
    expect(c.list()).toEqual([]);
    // Groups joined and left, more than the cap: none is left behind, none is refused.
    for (let i = 0; i < 150; i++) {
      const over = { groupId: `g${i}` };
      const joining = joinAs(c, await memberId(c, over), over);
      clock.advance(DELAY);
      const j = await joining;
      expect(j.error).toBe('NONE');
      expect(c.leave(`g${i}`, j.memberId)).toBe('NONE');
    }
    expect(c.list()).toEqual([]);
    // A member id handed out (MEMBER_ID_REQUIRED) keeps the group for its session timeout; a made-up one is refused.
    await memberId(c, { groupId: 'p' });
    expect(c.list().map((g) => g.groupId)).toEqual(['p']);
    expect((await c.join(req('made-up', { groupId: 'p', requireKnownMemberId: true }))).error).toBe('UNKNOWN_MEMBER_ID');
    clock.advance(10_000);
    expect(c.list()).toEqual([]);
    // A protocol refused in a new group leaves nothing either.
    expect((await c.join(req('', { groupId: 'q', protocols: [] }))).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(c.list()).toEqual([]);
    // The last member's session expires: the group goes, unless it has offsets (then it is Empty).
    const [h] = await formGroup(c, 1, { groupId: 'h' });
    clock.advance(10_000);
    expect(c.describe('h').state).toBe('Dead');
    const [m] = await formGroup(c, 1);
    await c.sync('g', m!.memberId, m!.generationId, new Map());
    expect(await c.commit('g', m!.memberId, m!.generationId, [{ topic: 't', partition: 0, offset: 1n, metadata: null }])).toBe('NONE');
    clock.advance(10_000);
    expect(c.list()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Empty', type: 'classic' }]);
    expect(h!.error).toBe('NONE');
  });

  it('does not let a heartbeat restart the session of a member awaiting its join response (Kafka never expires one)', async () => {
    const c = await start();
    const over = { sessionTimeoutMs: 80, rebalanceTimeoutMs: 1000 };
    const [a, b] = await formGroup(c, 2, over);
    await syncAll(c, [a!, b!]);
    const rejoining = c.join(req(a!.memberId, over)); // held until b rejoins
    expect(c.heartbeat('g', a!.memberId, a!.generationId)).toBe('REBALANCE_IN_PROGRESS');
    clock.advance(50);
    expect(c.heartbeat('g', b!.memberId, b!.generationId)).toBe('REBALANCE_IN_PROGRESS');
    clock.advance(50); // past a's session, had the heartbeat started one
    expect(c.describe('g').members).toHaveLength(2);
    const [ja, jb] = await Promise.all([rejoining, c.join(req(b!.memberId, over))]);
    expect([ja.error, jb.error, ja.generationId]).toEqual(['NONE', 'NONE', a!.generationId + 1]);
  });

  it('selects the protocol as Kafka: each member votes for its first common one, the most votes win', async () => {
    const c = await start();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.alloc(0) }));
    const lists = [p('x', 'y'), p('x', 'y'), p('y', 'p', 'q', 'x')];
    const ids = await Promise.all(lists.map(() => memberId(c)));
    const joins = ids.map((id, i) => joinAs(c, id, { protocols: lists[i]! }));
    clock.advance(DELAY);
    // Votes: x, x, y. (A sum of preference ranks would pick y: 1 + 1 + 0 against 0 + 0 + 3.)
    expect((await Promise.all(joins)).map((j) => j.protocolName)).toEqual(['x', 'x', 'x']);
  });

  it('refuses bad session timeouts and protocols that do not fit the group', async () => {
    const c = await start();
    expect((await c.join(req('', { sessionTimeoutMs: 10 }))).error).toBe('INVALID_SESSION_TIMEOUT');
    expect((await c.join(req('', { groupId: '' }))).error).toBe('INVALID_GROUP_ID');
    await formGroup(c, 1);
    expect((await c.join(req('', { protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }))).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
  });

  describe('static membership (KIP-345)', () => {
    const stat = (instance: string, over: Partial<JoinRequest> = {}) => ({ groupInstanceId: instance, requireKnownMemberId: false, ...over });
    /** Two static members form a Stable group: a (the leader) and b. */
    const formStatic = async (c: GroupCoordinator) => {
      // Static members skip the member-id-required round.
      const joining = [c.join(req('', stat('a'))), c.join(req('', stat('b')))];
      clock.advance(DELAY);
      const joins = await Promise.all(joining);
      const assignments = new Map(joins.map((j, i) => [j.memberId, Buffer.from(`part-${i}`)]));
      await Promise.all(joins.map((j) => c.sync('g', j.memberId, j.generationId, j.memberId === j.leader ? assignments : null, { groupInstanceId: j.memberId.startsWith('a-') ? 'a' : 'b' })));
      expect(state()).toBe('Stable');
      const [a, b] = joins.sort((x, y) => x.memberId.localeCompare(y.memberId));
      return { a: a!, b: b!, gen: a!.generationId };
    };

    it('a restarted member takes its place without a rebalance; the old member id is fenced everywhere', async () => {
      const c = await start();
      const { a, b, gen } = await formStatic(c);
      expect(a.memberId).toMatch(/^a-/);
      const back = await c.join(req('', stat('b')));
      expect(back).toMatchObject({ error: 'NONE', generationId: gen, leader: a.memberId, members: [], skipAssignment: false });
      expect(state()).toBe('Stable');
      expect((await c.sync('g', back.memberId, gen, null, { groupInstanceId: 'b' })).assignment.toString()).toBe('part-1');
      expect(c.heartbeat('g', b.memberId, gen, 'b')).toBe('FENCED_INSTANCE_ID');
      expect((await c.sync('g', b.memberId, gen, null, { groupInstanceId: 'b' })).error).toBe('FENCED_INSTANCE_ID');
      expect(await c.commit('g', b.memberId, gen, [{ topic: 't', partition: 0, offset: 1n, metadata: null }], 'b')).toBe('FENCED_INSTANCE_ID');
      expect((await c.join(req(b.memberId, stat('b')))).error).toBe('FENCED_INSTANCE_ID');
      expect(c.leave('g', b.memberId, 'b')).toBe('FENCED_INSTANCE_ID');
      expect(c.heartbeat('g', back.memberId, gen, 'b')).toBe('NONE');
      expect(c.describe('g').members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([[a.memberId, 'a'], [back.memberId, 'b']]);
    });

    it('a restarted leader keeps leading: at v9 it gets the members and SkipAssignment, before it is told the old leader id', async () => {
      const c = await start();
      const { a, gen } = await formStatic(c);
      const old = await c.join(req('', stat('a')));
      expect(old).toMatchObject({ generationId: gen, leader: a.memberId, members: [], skipAssignment: false });
      const v9 = await c.join(req('', stat('a', { supportSkippingAssignment: true })));
      expect(v9).toMatchObject({ generationId: gen, leader: v9.memberId, skipAssignment: true });
      expect(v9.members.map((m) => m.groupInstanceId)).toEqual(['b', 'a']);
      expect(state()).toBe('Stable');
    });

    it('rebalances when the restarted member changes the group\'s selected protocol, and fences a join still pending', async () => {
      const c = await start();
      const { b, gen } = await formStatic(c);
      const rr = [{ name: 'roundrobin', metadata: Buffer.alloc(0) }, { name: 'range', metadata: Buffer.alloc(0) }];
      // Prefers roundrobin, which a lacks: range stays the choice, no rebalance.
      expect((await c.join(req('', stat('b', { protocols: rr })))).generationId).toBe(gen);
      // A stable follower rejoining with its own id and unchanged protocols: no rebalance either.
      const same = c.describe('g').members[1]!.memberId;
      expect((await c.join(req(same, stat('b', { protocols: rr })))).generationId).toBe(gen);
      // Range only from a, roundrobin only from b: incompatible, refused.
      expect((await c.join(req('', stat('b', { protocols: [rr[0]!] })))).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
      // New metadata from the leader means a rebalance; b's pending join is fenced by b's restart.
      const pending = c.join(req(same, stat('b', { protocols: [{ name: 'range', metadata: Buffer.from('changed') }] })));
      expect(state()).toBe('PreparingRebalance');
      const restarted = c.join(req('', stat('b')));
      expect((await pending).error).toBe('FENCED_INSTANCE_ID');
      expect(c.heartbeat('g', b.memberId, gen, 'b')).toBe('FENCED_INSTANCE_ID');
      const a = c.describe('g').members[0]!;
      const rejoined = await Promise.all([c.join(req(a.memberId, stat('a'))), restarted]);
      expect(rejoined.map((j) => [j.error, j.generationId])).toEqual([['NONE', gen + 1], ['NONE', gen + 1]]);
    });

    it('keeps a member\'s instance id when it rejoins without one (JoinGroup v0-v4, or null), and its instance id stays usable', async () => {
      const c = await start();
      const { a, b, gen } = await formStatic(c);
      // b's own member id, no instance id (an older JoinGroup): Kafka accepts it and b stays static.
      const rejoined = c.join(req(b.memberId, { groupInstanceId: null, protocols: [{ name: 'range', metadata: Buffer.from('changed') }] }));
      expect(c.describe('g').members.map((m) => m.groupInstanceId)).toEqual(['a', 'b']);
      const again = await Promise.all([c.join(req(a.memberId, stat('a'))), rejoined]);
      expect(again.map((j) => [j.error, j.generationId])).toEqual([['NONE', gen + 1], ['NONE', gen + 1]]);
      await Promise.all(again.map((j, i) => c.sync('g', j.memberId, j.generationId, j.memberId === j.leader ? new Map() : null, { groupInstanceId: i === 0 ? 'a' : 'b' })));
      expect(c.heartbeat('g', b.memberId, gen + 1, 'b')).toBe('NONE');
      expect(c.heartbeat('g', 'ghost', gen + 1, 'b')).toBe('FENCED_INSTANCE_ID');
      // A restart of b still takes b's place, and the old id is fenced.
      const back = await c.join(req('', stat('b')));
      expect(back.error).toBe('NONE');
      expect(await c.commit('g', b.memberId, gen + 1, [{ topic: 't', partition: 0, offset: 1n, metadata: null }])).toBe('UNKNOWN_MEMBER_ID');
      expect(c.leave('g', '', 'b')).toBe('NONE');
      expect(c.describe('g').members.map((m) => m.groupInstanceId)).toEqual(['a']);
      // A dynamic member cannot take an instance id by rejoining with one.
      void c.join(req('', { requireKnownMemberId: false })); // held: the group rebalances
      const dyn = c.describe('g').members.find((m) => m.groupInstanceId === null)!.memberId;
      expect((await c.join(req(dyn, stat('x')))).error).toBe('UNKNOWN_MEMBER_ID');
      expect((await c.join(req(dyn, stat('a')))).error).toBe('FENCED_INSTANCE_ID');
      expect(c.describe('g').members.map((m) => m.groupInstanceId)).toEqual(['a', null]);
    });

    it('keeps static members that miss the rebalance timeout (their session decides), leads with one that joined, and waits again when nobody joined', async () => {
      const c = await start();
      const { a, b, gen } = await formStatic(c);
      const instance = (id: string) => (id.startsWith('a-') ? 'a' : 'b');
      const [leader, follower] = a.memberId === a.leader ? [a, b] : [b, a];
      const rejoin = c.join(req(follower.memberId, stat(instance(follower.memberId), { protocols: [{ name: 'range', metadata: Buffer.from('changed') }] })));
      clock.advance(499);
      expect(state()).toBe('PreparingRebalance');
      clock.advance(1); // the rebalance timeout: the leader has not rejoined
      const j = await rejoin;
      expect(j).toMatchObject({ error: 'NONE', generationId: gen + 1, leader: follower.memberId });
      expect(j.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
      expect(c.describe('g').members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
      await c.sync('g', follower.memberId, gen + 1, new Map(), { groupInstanceId: instance(follower.memberId) });
      expect(state()).toBe('Stable');
      // A newcomer starts a rebalance and leaves; nobody rejoins: the static members stay, the join phase waits again.
      void c.join(req('', { requireKnownMemberId: false }));
      const newcomer = c.describe('g').members.find((m) => m.groupInstanceId === null)!.memberId;
      expect(c.leave('g', newcomer)).toBe('NONE');
      clock.advance(500);
      expect(state()).toBe('PreparingRebalance');
      expect(c.describe('g').members.map((m) => m.groupInstanceId).sort()).toEqual(['a', 'b']);
      const both = [c.join(req(leader.memberId, stat(instance(leader.memberId)))), c.join(req(follower.memberId, stat(instance(follower.memberId))))];
      expect((await Promise.all(both)).map((x) => [x.error, x.generationId])).toEqual([['NONE', gen + 2], ['NONE', gen + 2]]);
    });

    it('waits again at least a second when nobody rejoined and the rebalance timeout is zero (no spinning timer)', async () => {
      const c = await start();
      const joining = [c.join(req('', stat('a', { rebalanceTimeoutMs: 0 }))), c.join(req('', stat('b', { rebalanceTimeoutMs: 0 })))];
      clock.advance(DELAY);
      const joins = await Promise.all(joining);
      await Promise.all(joins.map((j) => c.sync('g', j.memberId, j.generationId, j.memberId === j.leader ? new Map() : null, { groupInstanceId: j.memberId.startsWith('a-') ? 'a' : 'b' })));
      void c.join(req('', { requireKnownMemberId: false, rebalanceTimeoutMs: 0 }));
      const newcomer = c.describe('g').members.find((m) => m.groupInstanceId === null)!.memberId;
      expect(c.leave('g', newcomer)).toBe('NONE');
      clock.advance(1); // would never return with a timer re-armed at zero
      expect(clock.pending().filter((ms) => ms === 0)).toEqual([]);
      expect(state()).toBe('PreparingRebalance');
      clock.advance(10_000); // the static members' sessions end
      expect(state()).toBe('Dead');
    });

    it('a member gone for its session timeout loses its instance id; an admin removes one by instance id alone', async () => {
      const c = await start();
      const { a, gen } = await formStatic(c);
      clock.advance(9_999);
      expect(c.heartbeat('g', a.memberId, gen, 'a')).toBe('NONE');
      clock.advance(1); // b's session ends
      expect(c.describe('g').members.map((m) => m.groupInstanceId)).toEqual(['a']);
      expect(c.heartbeat('g', 'anyone', gen, 'b')).toBe('UNKNOWN_MEMBER_ID');
      expect(c.leave('g', '', 'b')).toBe('UNKNOWN_MEMBER_ID');
      expect(c.leave('g', '', 'a')).toBe('NONE');
      expect(state()).toBe('Dead'); // no members, no offsets: forgotten
    });
  });

  it('stores committed offsets durably and checks who commits', async () => {
    const c = await start();
    const [a] = await formGroup(c, 1);
    await c.sync('g', a!.memberId, a!.generationId, new Map([[a!.memberId, Buffer.from('x')]]));
    const entry = { topic: 'orders', partition: 1, offset: 42n, metadata: 'm' };
    expect(await c.commit('g', a!.memberId, a!.generationId, [entry])).toBe('NONE');
    expect(await c.commit('g', a!.memberId, a!.generationId + 5, [entry])).toBe('ILLEGAL_GENERATION');
    expect(await c.commit('g', 'stranger', a!.generationId, [entry])).toBe('UNKNOWN_MEMBER_ID');
    expect(await c.commit('solo', '', -1, [{ ...entry, offset: 7n }])).toBe('NONE');
    expect(c.committed('g', 'orders', 1)).toEqual({ offset: 42n, metadata: 'm', leaderEpoch: -1 });
    expect(c.committed('g', 'orders', 2)).toEqual({ offset: -1n, metadata: null, leaderEpoch: -1 });
    c.shutdown();
    await engine.close();
    const again = await start();
    expect(again.committed('g', 'orders', 1)).toEqual({ offset: 42n, metadata: 'm', leaderEpoch: -1 });
    expect(again.committed('solo', 'orders', 1).offset).toBe(7n);
    expect(again.list().map((g) => g.groupId).sort()).toEqual(['g', 'solo']);
  });

  it('takes commits while the group prepares a rebalance (onPartitionsRevoked), refuses them only while it completes one; generation -1 on an empty group', async () => {
    const c = await start();
    const [a, b] = await formGroup(c, 2);
    await syncAll(c, [a!, b!]);
    const entry = [{ topic: 'orders', partition: 0, offset: 5n, metadata: null }];
    const newcomer = joinAs(c, await memberId(c)); // the group rebalances
    expect(state()).toBe('PreparingRebalance');
    expect(await c.commit('g', a!.memberId, a!.generationId, entry)).toBe('NONE');
    const rejoined = await Promise.all([c.join(req(a!.memberId)), c.join(req(b!.memberId)), newcomer]);
    expect(state()).toBe('CompletingRebalance');
    expect(await c.commit('g', a!.memberId, rejoined[0].generationId, entry)).toBe('REBALANCE_IN_PROGRESS');
    for (const j of rejoined) expect(c.leave('g', j.memberId)).toBe('NONE');
    expect(state()).toBe('Empty');
    // An admin's commit (generation -1) to an empty group, member id or not.
    expect(await c.commit('g', 'admin', -1, [{ ...entry[0]!, offset: 6n }])).toBe('NONE');
    expect(c.committed('g', 'orders', 0).offset).toBe(6n);
  });

  it('answers a member of a group that does not exist as Kafka does: ILLEGAL_GENERATION before OffsetCommit v9, GROUP_ID_NOT_FOUND from v9', async () => {
    const c = await start();
    const entry = [{ topic: 'orders', partition: 0, offset: 5n, metadata: null }];
    expect(await c.commit('none', 'm', 3, entry, null, 8)).toBe('ILLEGAL_GENERATION');
    expect(await c.commit('none', 'm', 3, entry, null, 9)).toBe('GROUP_ID_NOT_FOUND');
    expect(await c.commit('none', 'm', -1, entry, null, 9)).toBe('NONE'); // a simple group
    // A group known by its offsets alone is an empty group: it has no such member.
    expect(await c.commit('none', 'm', 3, entry, null, 9)).toBe('UNKNOWN_MEMBER_ID');
  });

  it('on the system clock, ends each initial delay when its timer fires, never at the rebalance timeout', async () => {
    await start();
    // The delay's timer used to re-check Date.now() against a deadline; Node's
    // timers can fire a millisecond short of that by Date.now(), and the join
    // then waited for the rebalance timeout. Many short delays make that likely.
    const real = new GroupCoordinator(offsets, { ...settings, initialRebalanceDelayMs: 2 });
    const over = { rebalanceTimeoutMs: 600_000, requireKnownMemberId: true };
    const formAll = async (): Promise<string> => {
      // One after another, so the timers start at every phase of the millisecond.
      for (let i = 0; i < 600; i++) {
        const first = await real.join(req('', { ...over, groupId: `g${i}` }));
        await real.join(req(first.memberId, { ...over, groupId: `g${i}` }));
      }
      return 'every group formed';
    };
    let bound: NodeJS.Timeout | undefined;
    const stuck = new Promise<string>((r) => (bound = setTimeout(() => r('a join still held after 20 s'), 20_000)));
    try {
      expect(await Promise.race([formAll(), stuck])).toBe('every group formed');
    } finally {
      clearTimeout(bound);
      real.shutdown();
    }
  });
});
