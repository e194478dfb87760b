// The server-side assignors of KIP-848's consumer groups, on their own:
// uniform's balance and stickiness over seeded random groups, range's
// contiguous, co-partitioned ranges (Kafka's documented example included).
import { describe, expect, it } from 'vitest';
import { type Assignment, countPartitions } from '../src/broker/groups/assignment.js';
import { rangeAssignor, uniformAssignor, type AssignorInput, type AssignorMember } from '../src/broker/groups/assignors/index.js';
import { testRandom } from './helpers/seed.js';

const random = testRandom('groups-assignors');

function input(members: AssignorMember[], topics: Record<string, number>, current: Map<string, Assignment> = new Map()): AssignorInput {
  return { members, partitionCount: (id) => topics[id] ?? 0, current };
}

const member = (memberId: string, topics: string[], instanceId: string | null = null): AssignorMember => ({ memberId, instanceId, subscribedTopicIds: new Set(topics) });

/** Every partition of every subscribed topic is in exactly one assignment, and only a subscriber's. */
function expectComplete(result: Map<string, Assignment>, members: AssignorMember[], topics: Record<string, number>): void {
  const owners = new Map<string, string>();
  for (const [memberId, a] of result) {
    const m = members.find((x) => x.memberId === memberId)!;
    for (const [topicId, ps] of a) {
      expect(m.subscribedTopicIds.has(topicId), `${memberId} got ${topicId} without subscribing`).toBe(true);
      for (const p of ps) {
        expect(p).toBeLessThan(topics[topicId]!);
        expect(owners.has(`${topicId}:${p}`), `${topicId}:${p} assigned twice`).toBe(false);
        owners.set(`${topicId}:${p}`, memberId);
      }
    }
  }
  const subscribed = new Set(members.flatMap((m) => [...m.subscribedTopicIds]));
  for (const t of subscribed) for (let p = 0; p < topics[t]!; p++) expect(owners.has(`${t}:${p}`), `${t}:${p} unassigned`).toBe(true);
}

function sizes(result: Map<string, Assignment>): number[] {
  return [...result.values()].map(countPartitions);
}

function moved(before: Map<string, Assignment>, after: Map<string, Assignment>): number {
  let n = 0;
  for (const [memberId, a] of after) {
    for (const [t, ps] of a) for (const p of ps) if (!before.get(memberId)?.get(t)?.has(p)) n++;
  }
  return n;
}

function randomTopics(): Record<string, number> {
  const topics: Record<string, number> = {};
  const n = random.int(1, 5);
  for (let i = 0; i < n; i++) topics[`topic-${i}`] = random.int(1, 24);
  return topics;
}

describe('uniform assignor', () => {
  it('balances identical subscriptions to within one partition, every partition once (seeded random groups)', () => {
    for (let round = 0; round < 200; round++) {
      const topics = randomTopics();
      const members = Array.from({ length: random.int(1, 12) }, (_, i) => member(`m${i}`, Object.keys(topics)));
      const result = uniformAssignor.assign(input(members, topics));
      expectComplete(result, members, topics);
      const s = sizes(result);
      expect(Math.max(...s) - Math.min(...s), `round ${round}: ${s}`).toBeLessThanOrEqual(1);
    }
  });

  it('is sticky: a member joining takes only its share from the others, a member leaving moves only its own partitions', () => {
    for (let round = 0; round < 100; round++) {
      const topics = randomTopics();
      const total = Object.values(topics).reduce((a, b) => a + b, 0);
      const names = Object.keys(topics);
      const n = random.int(1, 8);
      const members = Array.from({ length: n }, (_, i) => member(`m${i}`, names));
      const first = uniformAssignor.assign(input(members, topics));

      const joined = [...members, member('m-new', names)];
      const second = uniformAssignor.assign(input(joined, topics, first));
      expectComplete(second, joined, topics);
      // The newcomer gets its share; nobody else gets anything new.
      expect(moved(first, second)).toBe(countPartitions(second.get('m-new')!));
      expect(countPartitions(second.get('m-new')!)).toBe(Math.floor(total / (n + 1)));

      const gone = members[random.int(0, n - 1)]!.memberId;
      const remaining = joined.filter((m) => m.memberId !== gone);
      const third = uniformAssignor.assign(input(remaining, topics, second));
      expectComplete(third, remaining, topics);
      // Only the leaver's partitions move; everyone keeps what they had.
      expect(moved(second, third)).toBe(countPartitions(second.get(gone)!));
      const s = sizes(third);
      expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
    }
  });

  it('with different subscriptions: every partition to a subscriber, none movable to a subscriber with two fewer (seeded)', () => {
    for (let round = 0; round < 200; round++) {
      const topics = randomTopics();
      const names = Object.keys(topics);
      const members = Array.from({ length: random.int(1, 8) }, (_, i) => {
        const mine = names.filter(() => random.next() < 0.6);
        return member(`m${i}`, mine.length > 0 ? mine : [names[random.int(0, names.length - 1)]!]);
      });
      const current = random.next() < 0.5 ? uniformAssignor.assign(input(members.slice(1), topics)) : new Map<string, Assignment>();
      const result = uniformAssignor.assign(input(members, topics, current));
      expectComplete(result, members, topics);
      for (const [from, a] of result) {
        for (const t of a.keys()) {
          for (const to of members) {
            if (to.memberId === from || !to.subscribedTopicIds.has(t)) continue;
            expect(countPartitions(result.get(to.memberId)!) + 1, `round ${round}: ${from} -> ${to.memberId}`).toBeGreaterThanOrEqual(countPartitions(a));
          }
        }
      }
    }
  });

  it('gives nothing for topics that have no partitions known, and empty assignments to members beyond the partitions', () => {
    const members = [member('a', ['t']), member('b', ['t']), member('c', ['t'])];
    const result = uniformAssignor.assign(input(members, { t: 2 }));
    expect(sizes(result).sort()).toEqual([0, 1, 1]);
    expect(uniformAssignor.assign(input([member('a', ['gone'])], {})).get('a')).toEqual(new Map());
  });
});

describe('range assignor', () => {
  it("gives Kafka's documented example: M0 [T1P0, T1P1, T2P0, T2P1], M1 [T1P2, T2P2]", () => {
    const members = [member('M1', ['T1', 'T2']), member('M0', ['T1', 'T2'])];
    const result = rangeAssignor.assign(input(members, { T1: 3, T2: 3 }));
    expect(result.get('M0')).toEqual(new Map([['T1', new Set([0, 1])], ['T2', new Set([0, 1])]]));
    expect(result.get('M1')).toEqual(new Map([['T1', new Set([2])], ['T2', new Set([2])]]));
  });

  it('co-partitions: topics of equal size go the same way, partition i of each to the same member, in contiguous ranges (seeded)', () => {
    for (let round = 0; round < 200; round++) {
      const partitions = random.int(1, 30);
      const names = ['a', 'b', 'c'].slice(0, random.int(2, 3));
      const topics = Object.fromEntries(names.map((n) => [n, partitions]));
      const members = Array.from({ length: random.int(1, 10) }, (_, i) => member(`m${random.int(0, 1000)}-${i}`, names));
      const result = rangeAssignor.assign(input(members, topics));
      expectComplete(result, members, topics);
      for (const a of result.values()) {
        const first = [...(a.get(names[0]!) ?? [])].sort((x, y) => x - y);
        for (const n of names) expect([...(a.get(n) ?? [])].sort((x, y) => x - y)).toEqual(first);
        // Contiguous.
        for (let i = 1; i < first.length; i++) expect(first[i]).toBe(first[i - 1]! + 1);
      }
      const s = sizes(result).map((x) => x / names.length);
      expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
    }
  });

  it('orders static members by instance id before dynamic ones by member id, so a restart with new member ids keeps ranges', () => {
    const before = rangeAssignor.assign(input([member('zz', ['t'], 'i0'), member('aa', ['t'], 'i1'), member('dyn', ['t'])], { t: 6 }));
    expect(before.get('zz')).toEqual(new Map([['t', new Set([0, 1])]]));
    expect(before.get('aa')).toEqual(new Map([['t', new Set([2, 3])]]));
    expect(before.get('dyn')).toEqual(new Map([['t', new Set([4, 5])]]));
    const after = rangeAssignor.assign(input([member('new1', ['t'], 'i1'), member('new0', ['t'], 'i0'), member('dyn', ['t'])], { t: 6 }));
    expect(after.get('new0')).toEqual(before.get('zz'));
    expect(after.get('new1')).toEqual(before.get('aa'));
  });

  it('splits each topic among its own subscribers when subscriptions differ', () => {
    const result = rangeAssignor.assign(input([member('a', ['x', 'y']), member('b', ['y'])], { x: 3, y: 4 }));
    expect(result.get('a')).toEqual(new Map([['x', new Set([0, 1, 2])], ['y', new Set([0, 1])]]));
    expect(result.get('b')).toEqual(new Map([['y', new Set([2, 3])]]));
  });
});
