// KIP-848's consumer group protocol end to end, with @platformatic/kafka's
// `groupProtocol: 'consumer'` against a real broker on loopback: members
// only heartbeat (ConsumerGroupHeartbeat), the broker assigns. Three members
// join one by one and the partitions spread without ever being assigned to
// two at once; they commit with their member epochs; one leaves and its
// partitions move to the others; the broker restarts under them (membership
// is in memory: they are told to rejoin, and do); after all have left, a new
// member resumes from the committed offsets.
import { Admin, Consumer, MessagesStreamFallbackModes, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { committedToEnd, startTestBroker, type TestBroker } from './helpers/broker.js';
import { Progress } from './helpers/until.js';

const progress = new Progress();
const PARTITIONS = 6;

type StringConsumer = Consumer<string, string, string, string>;

const base = (b: TestBroker, clientId: string) => ({ clientId, bootstrapBrokers: [b.bootstrap], retries: 8, retryDelay: 100 });

const closeConsumer = (c: StringConsumer): Promise<void> => new Promise((resolve, reject) => c.close(true, (err) => (err ? reject(err) : resolve())));

interface Member {
  consumer: StringConsumer;
  seen: string[];
  /** Set before closing: messages still buffered in its stream then fail to commit ("Client is closed"), which says nothing of the broker. */
  closing: boolean;
}

async function leave(m: Member): Promise<void> {
  m.closing = true;
  await closeConsumer(m.consumer);
}

/**
 * A member that records what it sees and commits each message. A commit
 * answered STALE_MEMBER_EPOCH (sent just as a heartbeat moved the member's
 * epoch on) is sent again after the member's next heartbeat, as Kafka's
 * protocol asks and its Java consumer does; this client leaves it to the
 * caller. Any other failure is kept for the test to see.
 */
async function member(b: TestBroker, name: string, failures: unknown[]): Promise<Member> {
  const consumer: StringConsumer = new Consumer({ ...base(b, name), groupId: 'kg', groupProtocol: 'consumer', deserializers: stringDeserializers, maxWaitTime: 100 });
  consumer.on('consumer:heartbeat:end', () => progress.made());
  const seen: string[] = [];
  const self: Member = { consumer, seen, closing: false };
  const stream = await consumer.consume({ topics: ['events'], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, autocommit: false });
  // A stream error after its consumer was closed (a fetch cut short) is the client's shutdown, not the broker's doing.
  stream.on('error', (err) => {
    if (!self.closing) failures.push(err);
  });
  stream.on('data', (m) => {
    seen.push(m.value);
    const commit = (retried: boolean): void => {
      (m.commit() as Promise<void>).then(
        () => progress.made(),
        (err: Error & { findBy?: (k: string, v: unknown) => unknown }) => {
          if (!retried && err.findBy?.('apiId', 'STALE_MEMBER_EPOCH')) consumer.once('consumer:heartbeat:end', () => commit(true));
          else if (!self.closing) failures.push(err);
        },
      );
    };
    commit(false);
    progress.made();
  });
  return self;
}

async function produce(b: TestBroker, from: number, to: number): Promise<void> {
  const producer = new Producer({ ...base(b, 'producer'), serializers: stringSerializers });
  try {
    for (let i = from; i < to; i += 50) {
      await producer.send({ messages: Array.from({ length: Math.min(50, to - i) }, (_, j) => ({ topic: 'events', key: `k${i + j}`, value: `v${i + j}` })) });
    }
  } finally {
    await producer.close();
  }
}

describe("@platformatic/kafka with groupProtocol 'consumer' (KIP-848)", () => {
  let broker: TestBroker | undefined;
  const members: Member[] = [];
  afterEach(async () => {
    for (const m of members.splice(0)) await leave(m).catch(() => undefined);
    await broker?.destroy();
    broker = undefined;
  });

  it('spreads partitions over joining members without overlap, commits, moves a leaver’s partitions, rejoins after a broker restart, resumes from commits', async () => {
    // A short heartbeat interval: each step of a rebalance waits for heartbeats.
    broker = await startTestBroker({ 'group.consumer.heartbeat.interval.ms': '100', 'group.consumer.session.timeout.ms': '10000' });
    let b = broker;
    const admin = new Admin(base(b, 'admin'));
    try {
      await admin.createTopics({ topics: ['events'], partitions: PARTITIONS, replicas: 1 });
    } finally {
      await admin.close();
    }
    await produce(b, 0, 300);
    const failures: unknown[] = [];
    const overlaps: string[] = [];
    const group = () => b.broker.coordinator.consumer.describe('kg');
    /** What the coordinator has given each member right now: never a partition twice. */
    const checkNoOverlap = (): void => {
      const d = group();
      if (!d) return;
      const all = d.members.flatMap((m) => m.assignment.flatMap((t) => t.partitions.map((p) => `${t.topicName}:${p}`)));
      if (new Set(all).size !== all.length) overlaps.push(all.join(','));
      // The members' own views too: one only takes a partition another has given up.
      const views = members.flatMap((m) => (m.consumer.assignments ?? []).flatMap((t) => t.partitions.map((p) => `${t.topic}:${p}`)));
      if (new Set(views).size !== views.length) overlaps.push(`clients: ${views.join(',')}`);
    };
    const stableWith = (n: number) => (): boolean => {
      checkNoOverlap();
      const d = group();
      if (!d || d.state !== 'Stable' || d.members.length !== n) return false;
      const counts = members.map((m) => (m.consumer.assignments ?? []).reduce((k, t) => k + t.partitions.length, 0));
      return counts.reduce((x, y) => x + y, 0) === PARTITIONS && Math.max(...counts) - Math.min(...counts) <= 1;
    };

    for (let i = 0; i < 3; i++) {
      members.push(await member(b, `m${i}`, failures));
      await progress.until(`a stable group of ${i + 1}, ${PARTITIONS} partitions spread evenly`, stableWith(i + 1));
    }
    const d = group()!;
    expect(d.assignorName).toBe('uniform');
    expect(d.members.every((m) => m.memberEpoch === d.assignmentEpoch)).toBe(true);
    await progress.until('300 messages, committed to the end', () => new Set(members.flatMap((m) => m.seen)).size >= 300 && committedToEnd(b, 'kg', 'events', PARTITIONS));
    await produce(b, 300, 600);
    await progress.until('600 messages, committed', () => new Set(members.flatMap((m) => m.seen)).size >= 600 && committedToEnd(b, 'kg', 'events', PARTITIONS));
    // Every member got some of the work produced once all three were in.
    expect(members.map((m) => m.seen.filter((v) => Number(v.slice(1)) >= 300).length > 0)).toEqual([true, true, true]);

    // One leaves (ConsumerGroupHeartbeat with epoch -1): its partitions go to the two left.
    const leaver = members.pop()!;
    await leave(leaver);
    await progress.until('a stable group of 2 with every partition', stableWith(2));
    await produce(b, 600, 700);
    await progress.until('700 messages, committed', () => new Set([...members, leaver].flatMap((m) => m.seen)).size >= 700 && committedToEnd(b, 'kg', 'events', PARTITIONS));

    // A restart forgets the group (membership is in memory). With one member left, its next heartbeat is told to
    // rejoin (FENCED_MEMBER_EPOCH), and it rejoins at epoch 0 and goes on from the committed offsets. (With more
    // members, all but the first to rejoin are answered UNKNOWN_MEMBER_ID, as Kafka answers a member it does not
    // know; this client does not rejoin on that answer, see README.)
    const second = members.pop()!;
    await leave(second);
    await progress.until('a stable group of 1 with every partition', stableWith(1));
    broker = b = await b.restart();
    expect(b.broker.coordinator.consumer.groups.size).toBe(0);
    await produce(b, 700, 760);
    await progress.until('a stable group of 1 again after the restart', stableWith(1));
    await progress.until('760 messages, committed', () => new Set([...members, leaver, second].flatMap((m) => m.seen)).size >= 760 && committedToEnd(b, 'kg', 'events', PARTITIONS));

    for (const m of members.splice(0)) await leave(m);
    expect(b.broker.coordinator.list({ types: ['consumer'] })).toEqual([{ groupId: 'kg', protocolType: 'consumer', state: 'Empty', type: 'consumer' }]);

    // A new member of the (empty) group starts from the commits: only what came after.
    await produce(b, 760, 810);
    const late = await member(b, 'late', failures);
    members.push(late);
    await progress.until('the 50 new messages, committed', () => late.seen.length >= 50 && committedToEnd(b, 'kg', 'events', PARTITIONS));
    expect(late.seen.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `v${760 + i}`).sort());
    expect(overlaps).toEqual([]);
    expect(failures).toEqual([]);
  });
});
