// The group coordinator's membership protocol and committed offsets, over a
// real storage engine.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCoordinator, type JoinRequest } from '../src/broker/groups/coordinator.js';
import { OffsetStore } from '../src/broker/groups/offset-store.js';
import { TopicRegistry } from '../src/broker/topics.js';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import { tempDir } from './helpers/files.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const settings = { minSessionTimeoutMs: 50, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 30, maxGroups: 100 };

describe('group coordinator', () => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: SegmentedEngine;
  let coordinator: GroupCoordinator;

  const start = async (): Promise<GroupCoordinator> => {
    engine = new SegmentedEngine({ dir: join(tmp.dir, 'log'), flush: { kind: 'none' } });
    await engine.open();
    const topics = new TopicRegistry(engine, join(tmp.dir, 'topics.json'));
    topics.open();
    const offsets = new OffsetStore(engine, topics);
    offsets.open();
    coordinator = new GroupCoordinator(offsets, settings);
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
    requireKnownMemberId: false,
    ...over,
  });
  /** Joins with KIP-394's two steps, as a JoinGroup v4+ client does. */
  const joinNew = async (c: GroupCoordinator, over: Partial<JoinRequest> = {}) => {
    const first = await c.join(req('', { requireKnownMemberId: true, ...over }));
    expect(first.error).toBe('MEMBER_ID_REQUIRED');
    return c.join(req(first.memberId, { requireKnownMemberId: true, ...over }));
  };

  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    coordinator?.shutdown();
    await engine.close();
    tmp.cleanup();
  });

  it('forms a generation: one leader sees every member, the leader assigns, everyone syncs', async () => {
    const c = await start();
    const joins = await Promise.all([joinNew(c), joinNew(c), joinNew(c)]);
    const gen = joins[0]!.generationId;
    expect(joins.every((j) => j.error === 'NONE' && j.generationId === gen && j.leader === joins[0]!.leader)).toBe(true);
    const leader = joins.find((j) => j.memberId === j.leader)!;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual(joins.map((j) => j.memberId).sort());
    expect(joins.filter((j) => j.memberId !== j.leader).every((j) => j.members.length === 0)).toBe(true);
    const assignments = new Map(joins.map((j, i) => [j.memberId, Buffer.from(`part-${i}`)]));
    const syncs = await Promise.all(joins.map((j) => c.sync('g', j.memberId, gen, j.memberId === j.leader ? assignments : null)));
    expect(syncs.map((s) => s.assignment.toString())).toEqual(['part-0', 'part-1', 'part-2']);
    expect(c.describe('g').state).toBe('Stable');
    expect(joins.map((j) => c.heartbeat('g', j.memberId, gen))).toEqual(['NONE', 'NONE', 'NONE']);
    expect(c.heartbeat('g', joins[0]!.memberId, gen - 1)).toBe('ILLEGAL_GENERATION');
    expect(c.heartbeat('g', 'stranger', gen)).toBe('UNKNOWN_MEMBER_ID');
  });

  it('rebalances when a member leaves, and the others rejoin into a new generation', async () => {
    const c = await start();
    const [a, b] = await Promise.all([joinNew(c), joinNew(c)]);
    await Promise.all([a!, b!].map((j) => c.sync('g', j.memberId, j.generationId, j.memberId === j.leader ? new Map() : null)));
    expect(c.leave('g', a!.memberId)).toBe('NONE');
    expect(c.heartbeat('g', b!.memberId, b!.generationId)).toBe('REBALANCE_IN_PROGRESS');
    const again = await c.join(req(b!.memberId));
    expect(again.generationId).toBe(b!.generationId + 1);
    expect(again.leader).toBe(b!.memberId);
    expect(c.describe('g').members.map((m) => m.memberId)).toEqual([b!.memberId]);
  });

  it('evicts a member whose session expires', async () => {
    const c = await start();
    const [a, b] = await Promise.all([joinNew(c, { sessionTimeoutMs: 80 }), joinNew(c, { sessionTimeoutMs: 80 })]);
    await Promise.all([a!, b!].map((j) => c.sync('g', j.memberId, j.generationId, j.memberId === j.leader ? new Map() : null)));
    for (let i = 0; i < 5; i++) {
      await sleep(30);
      c.heartbeat('g', b!.memberId, b!.generationId); // b stays alive, a goes silent
    }
    expect(c.describe('g').members.map((m) => m.memberId)).toEqual([b!.memberId]);
    expect(c.heartbeat('g', b!.memberId, b!.generationId)).toBe('REBALANCE_IN_PROGRESS');
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const c = await start();
    const [a, b] = await Promise.all([joinNew(c, { rebalanceTimeoutMs: 100 }), joinNew(c, { rebalanceTimeoutMs: 100 })]);
    await Promise.all([a!, b!].map((j) => c.sync('g', j.memberId, j.generationId, j.memberId === j.leader ? new Map() : null)));
    const t0 = Date.now();
    const newcomer = await joinNew(c, { rebalanceTimeoutMs: 100 }); // a and b never rejoin
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(newcomer.error).toBe('NONE');
    expect(c.describe('g').members.map((m) => m.memberId).sort()).toEqual([newcomer.memberId]);
  });

  it('refuses bad session timeouts and protocols that do not fit the group', async () => {
    const c = await start();
    expect((await c.join(req('', { sessionTimeoutMs: 10 }))).error).toBe('INVALID_SESSION_TIMEOUT');
    expect((await c.join(req('', { groupId: '' }))).error).toBe('INVALID_GROUP_ID');
    await joinNew(c);
    expect((await c.join(req('', { protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }))).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
  });

  it('stores committed offsets durably and checks who commits', async () => {
    const c = await start();
    const [a] = await Promise.all([joinNew(c)]);
    await c.sync('g', a!.memberId, a!.generationId, new Map([[a!.memberId, Buffer.from('x')]]));
    const entry = { topic: 'orders', partition: 1, offset: 42n, metadata: 'm' };
    expect(await c.commit('g', a!.memberId, a!.generationId, [entry])).toBe('NONE');
    expect(await c.commit('g', a!.memberId, a!.generationId + 5, [entry])).toBe('ILLEGAL_GENERATION');
    expect(await c.commit('g', 'stranger', a!.generationId, [entry])).toBe('UNKNOWN_MEMBER_ID');
    expect(await c.commit('solo', '', -1, [{ ...entry, offset: 7n }])).toBe('NONE');
    expect(c.committed('g', 'orders', 1)).toEqual({ offset: 42n, metadata: 'm' });
    expect(c.committed('g', 'orders', 2)).toEqual({ offset: -1n, metadata: null });
    c.shutdown();
    await engine.close();
    const again = await start();
    expect(again.committed('g', 'orders', 1)).toEqual({ offset: 42n, metadata: 'm' });
    expect(again.committed('solo', 'orders', 1).offset).toBe(7n);
    expect(again.list().map((g) => g.groupId).sort()).toEqual(['g', 'solo']);
  });
});
