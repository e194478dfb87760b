// Kafka transactions v2 (KIP-890 part 2) driven by hand on the wire, as a
// Java 4.x producer drives them when ApiVersions finalizes
// transaction.version 2: InitProducerId, Produce v12 transactional batches
// with no AddPartitionsToTxn, TxnOffsetCommit v5 with no AddOffsetsToTxn,
// EndTxn v5 answering the bumped epoch (a new producer id once the epoch is
// exhausted), the epoch before fenced, a retried EndTxn answered the same.
// Below level 2 the broker keeps the old rules. A broker killed with SIGKILL
// in the middle of a v2 transaction commits it after the restart. Both
// engines. No randomness.
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { CommittedFilter, decodeBatch, encodeBatch, LOG_OVERHEAD_BYTES, readBatchHeader } from '../src/records/index.js';
import type { ApiKey } from '../src/protocol/kafka/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { tempDir } from './helpers/files.js';
import { RocketServe } from './helpers/rocketmq-serve.js';

// Kafka's error codes, by number: this file checks the wire.
const NONE = 0;
const INVALID_PRODUCER_EPOCH = 47;
const INVALID_TXN_STATE = 48;
const INVALID_PRODUCER_ID_MAPPING = 49;
const UNSTABLE_OFFSET_COMMIT = 88;
const PRODUCER_FENCED = 90;

const TOPIC = 'orders';
const IN = 'in';

/** One transactional producer speaking the v2 protocol over its own connection. */
class Producer {
  producerId = -1n;
  epoch = -1;
  private readonly sequences = new Map<number, number>();

  private constructor(readonly conn: KafkaConnection, readonly id: string) {}

  static async open(port: number, id: string): Promise<Producer> {
    const p = new Producer(await KafkaConnection.open('127.0.0.1', port, `v2-${id}`), id);
    const r = await p.call(22, 5, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect(r.errorCode).toBe(NONE);
    p.producerId = r.producerId;
    p.epoch = r.producerEpoch;
    return p;
  }

  // Loosely typed on purpose: the versions are the point, not the client's types.
  call(key: number, v: number, body: object): Promise<any> {
    return this.conn.request(key as ApiKey, v, body as never);
  }

  /** A transactional batch to each partition (values by partition), at this version; the error codes by partition. */
  async produce(v: number, values: Record<number, string[]>, epoch = this.epoch, producerId = this.producerId): Promise<number[]> {
    const partitionData = Object.entries(values).map(([p, vs]) => {
      const partition = Number(p);
      // Taken as the batch is made, as a producer does, so that pipelined batches follow each other.
      const baseSequence = this.sequences.get(partition) ?? 0;
      this.sequences.set(partition, baseSequence + vs.length);
      const records = encodeBatch({ baseTimestamp: 1n, producerId, producerEpoch: epoch, baseSequence, transactional: true, records: vs.map((x) => ({ key: null, value: Buffer.from(x), headers: [] })) });
      return { index: partition, records, baseSequence };
    });
    const r = await this.call(0, v, { transactionalId: this.id, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: partitionData.map(({ index, records }) => ({ index, records })) }] });
    const errors = r.responses[0].partitionResponses.map((x: { errorCode: number }) => x.errorCode);
    partitionData.forEach((d, i) => {
      if (errors[i] !== NONE) this.sequences.set(d.index, d.baseSequence); // refused: the sequence is not used
    });
    return errors;
  }

  async commitOffsets(v: number, group: string, offset: bigint, epoch = this.epoch): Promise<number> {
    const r = await this.call(28, v, { transactionalId: this.id, groupId: group, producerId: this.producerId, producerEpoch: epoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: IN, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    return r.topics[0].partitions[0].errorCode;
  }

  /** EndTxn; on success the producer goes on with the id and epoch the answer gives (v5), its sequences from 0 when the epoch moved. */
  async end(v: number, committed: boolean, epoch = this.epoch, producerId = this.producerId): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }> {
    const r = await this.call(26, v, { transactionalId: this.id, producerId, producerEpoch: epoch, committed });
    if (r.errorCode === NONE && v >= 5 && (r.producerId !== this.producerId || r.producerEpoch !== this.epoch)) {
      this.producerId = r.producerId;
      this.epoch = r.producerEpoch;
      this.sequences.clear();
    }
    return r;
  }

  close(): void {
    this.conn.close();
  }
}

/** What a read_committed consumer sees of a partition from offset 0, and the partition's last stable offset. */
async function readCommitted(conn: KafkaConnection, partition: number): Promise<{ values: string[]; lastStableOffset: bigint; highWatermark: bigint }> {
  const r: any = await conn.request(1 as ApiKey, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' } as never);
  const p = r.responses[0].partitions[0];
  expect(p.errorCode).toBe(NONE);
  const values: string[] = [];
  const records: Buffer = p.records ?? Buffer.alloc(0);
  const filter = new CommittedFilter(p.abortedTransactions);
  for (let at = 0; at + 61 <= records.length; ) {
    const h = readBatchHeader(records, at);
    if (filter.keep(h, records, at)) for (const rec of decodeBatch(records, at).records) values.push(rec.value!.toString());
    at += h.batchLength + LOG_OVERHEAD_BYTES;
  }
  return { values, lastStableOffset: p.lastStableOffset, highWatermark: p.highWatermark };
}

/** The epoch a partition's producer state holds for the producer (DescribeProducers): the markers' epoch after an end. */
async function partitionEpoch(conn: KafkaConnection, partition: number, producerId: bigint): Promise<number | undefined> {
  const r: any = await conn.request(61 as ApiKey, 0, { topics: [{ name: TOPIC, partitionIndexes: [partition] }] } as never);
  return r.topics[0].partitions[0].activeProducers.find((a: { producerId: bigint }) => a.producerId === producerId)?.producerEpoch;
}

async function committedOffset(conn: KafkaConnection, group: string, requireStable: boolean): Promise<[bigint, number]> {
  const r: any = await conn.request(9 as ApiKey, 7, { groupId: group, topics: [{ name: IN, partitionIndexes: [0] }], requireStable } as never);
  const p = r.topics[0].partitions[0];
  return [p.committedOffset, p.errorCode];
}

async function transactionState(conn: KafkaConnection, id: string): Promise<any> {
  const r: any = await conn.request(65 as ApiKey, 0, { transactionalIds: [id] } as never);
  return r.transactionStates[0];
}

describe.each(['segmented', 'commitlog'])('Kafka transactions v2 (%s)', (engine) => {
  let broker: TestBroker | undefined;
  const closing: { close(): void }[] = [];
  afterEach(async () => {
    for (const c of closing.splice(0)) c.close();
    await broker?.destroy();
    broker = undefined;
  });

  async function start(configs: Record<string, string> = {}): Promise<{ b: TestBroker; conn: KafkaConnection; producer: (id: string) => Promise<Producer> }> {
    const b = (broker = await startTestBroker({ 'mqlab.storage.engine': engine, ...configs }));
    b.broker.topics.create(TOPIC, 2);
    b.broker.topics.create(IN, 1);
    const conn = await KafkaConnection.open('127.0.0.1', b.port, 'v2-reader');
    closing.push(conn);
    const producer = async (id: string) => {
      const p = await Producer.open(b.port, id);
      closing.push(p);
      return p;
    };
    return { b, conn, producer };
  }

  it('finalizes transaction.version 2; commits a transaction begun by Produce v12 and TxnOffsetCommit v5 alone, the epoch bumped; the epoch before is fenced, the next transaction runs at the new one', async () => {
    const { b, conn, producer } = await start();
    const versions: any = await conn.request(18 as ApiKey, 4, { clientSoftwareName: 'test', clientSoftwareVersion: '1' } as never);
    expect(versions.finalizedFeatures).toEqual([{ name: 'transaction.version', maxVersionLevel: 2, minVersionLevel: 2 }]);
    expect(versions.finalizedFeaturesEpoch).toBeGreaterThanOrEqual(0n);

    const p = await producer('relay');
    const first = p.epoch;
    expect(await p.produce(12, { 0: ['a0', 'a1'], 1: ['b0'] })).toEqual([NONE, NONE]);
    expect(await p.produce(12, { 0: ['a2'] })).toEqual([NONE]); // already in the transaction
    expect(await p.commitOffsets(5, 'relay-group', 5n)).toBe(NONE);
    expect(await transactionState(conn, 'relay')).toMatchObject({ transactionState: 'Ongoing', producerEpoch: first, topics: [{ topic: TOPIC, partitions: [0, 1] }] });
    expect([...b.broker.transactions.coordinator.describe('relay')!.groups]).toEqual(['relay-group']);
    expect(await readCommitted(conn, 0)).toEqual({ values: [], lastStableOffset: 0n, highWatermark: 3n });
    expect(await committedOffset(conn, 'relay-group', true)).toEqual([-1n, UNSTABLE_OFFSET_COMMIT]);

    const committed = await p.end(5, true);
    expect(committed).toMatchObject({ errorCode: NONE, producerId: p.producerId, producerEpoch: first + 1 });
    expect(await readCommitted(conn, 0)).toEqual({ values: ['a0', 'a1', 'a2'], lastStableOffset: 4n, highWatermark: 4n });
    expect((await readCommitted(conn, 1)).values).toEqual(['b0']);
    expect(await committedOffset(conn, 'relay-group', true)).toEqual([5n, NONE]);
    // The markers carry the new epoch.
    expect([await partitionEpoch(conn, 0, p.producerId), await partitionEpoch(conn, 1, p.producerId)]).toEqual([first + 1, first + 1]);

    // A retry of the EndTxn, with the epoch it was sent with: the same answer, nothing written.
    expect(await p.call(26, 5, { transactionalId: 'relay', producerId: p.producerId, producerEpoch: first, committed: true })).toMatchObject({ errorCode: NONE, producerId: p.producerId, producerEpoch: first + 1 });
    expect((await readCommitted(conn, 0)).highWatermark).toBe(4n);
    // Anything else at the epoch before is fenced, as Kafka fences it: the producer is told INVALID_PRODUCER_EPOCH, the coordinator's callers PRODUCER_FENCED.
    expect(await p.produce(12, { 1: ['stale'] }, first)).toEqual([INVALID_PRODUCER_EPOCH]);
    expect(await p.commitOffsets(5, 'relay-group', 9n, first)).toBe(INVALID_PRODUCER_EPOCH);
    const add: any = await p.call(24, 3, { v3AndBelowTransactionalId: 'relay', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: first, v3AndBelowTopics: [{ name: TOPIC, partitions: [1] }] });
    expect(add.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(PRODUCER_FENCED);
    expect((await p.end(5, false, first)).errorCode).toBe(INVALID_TXN_STATE); // the retry of a commit cannot abort it
    expect(await transactionState(conn, 'relay')).toMatchObject({ transactionState: 'CompleteCommit', producerEpoch: first + 1, topics: [] });

    // The next transaction at the new epoch, its sequences from 0.
    expect(await p.produce(12, { 1: ['b1'] })).toEqual([NONE]);
    expect(await p.commitOffsets(5, 'relay-group', 7n)).toBe(NONE);
    expect(await p.end(5, true)).toMatchObject({ errorCode: NONE, producerEpoch: first + 2 });
    expect((await readCommitted(conn, 1)).values).toEqual(['b0', 'b1']);
    expect(await committedOffset(conn, 'relay-group', true)).toEqual([7n, NONE]);
  });

  it('keeps the order of Produce v12 requests pipelined behind one whose partition is still joining', async () => {
    const { conn, producer } = await start();
    const p = await producer('pipelined');
    // Sent at once on one connection: the first joins partition 0, the next ones find it joining and wait their turn.
    const sent = [p.produce(12, { 0: ['q0'] }), p.produce(12, { 0: ['q1', 'q2'] }), p.produce(12, { 1: ['r0'], 0: ['q3'] }), p.produce(12, { 0: ['q4'] })];
    expect(await Promise.all(sent)).toEqual([[NONE], [NONE], [NONE, NONE], [NONE]]);
    expect((await p.end(5, true)).errorCode).toBe(NONE);
    expect((await readCommitted(conn, 0)).values).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    expect((await readCommitted(conn, 1)).values).toEqual(['r0']);
  });

  it('joins the good partitions of a Produce v12/v13 request whose others cannot join, each of those refused on its own', async () => {
    const { b, conn, producer } = await start();
    const p = await producer('partly');
    // Partition 7 of a two-partition topic: UNKNOWN_TOPIC_OR_PARTITION for it, partition 0 joins and is written.
    expect(await p.produce(12, { 0: ['good'], 7: ['no such partition'] })).toEqual([NONE, 3]);
    // v13: an id naming no topic is UNKNOWN_TOPIC_ID beside a good one.
    const batch = (value: string, baseSequence: number) =>
      encodeBatch({ baseTimestamp: 1n, producerId: p.producerId, producerEpoch: p.epoch, baseSequence, transactional: true, records: [{ key: null, value: Buffer.from(value), headers: [] }] });
    const r = await p.call(0, 13, {
      transactionalId: p.id,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        { topicId: '0123abcd-0000-4000-8000-000000000099', partitionData: [{ index: 0, records: batch('lost', 0) }] },
        { topicId: b.broker.topics.get(TOPIC)!.id, partitionData: [{ index: 1, records: batch('by id', 0) }] },
      ],
    });
    expect(r.responses.map((t: { partitionResponses: { errorCode: number }[] }) => t.partitionResponses[0]!.errorCode)).toEqual([100, NONE]); // UNKNOWN_TOPIC_ID
    expect((await p.end(5, true)).errorCode).toBe(NONE);
    expect((await readCommitted(conn, 0)).values).toEqual(['good']);
    expect((await readCommitted(conn, 1)).values).toEqual(['by id']);
  });

  it('aborts a v2 transaction: read_committed sees none of it, its offsets never land, the epoch is bumped', async () => {
    const { conn, producer } = await start();
    const p = await producer('undo');
    const first = p.epoch;
    expect(await p.produce(12, { 0: ['x0'], 1: ['y0', 'y1'] })).toEqual([NONE, NONE]);
    expect(await p.commitOffsets(5, 'undo-group', 3n)).toBe(NONE);
    expect(await p.end(5, false)).toMatchObject({ errorCode: NONE, producerEpoch: first + 1 });
    for (const partition of [0, 1]) {
      const seen = await readCommitted(conn, partition);
      expect(seen.values).toEqual([]);
      expect(seen.lastStableOffset).toBe(seen.highWatermark); // nothing left open
    }
    expect(await committedOffset(conn, 'undo-group', true)).toEqual([-1n, NONE]);
    expect(await p.produce(12, { 0: ['late'] }, first)).toEqual([INVALID_PRODUCER_EPOCH]);
    // Committed at the new epoch, after the abort: only that one is seen.
    expect(await p.produce(12, { 0: ['x1'] })).toEqual([NONE]);
    expect((await p.end(5, true)).errorCode).toBe(NONE);
    expect((await readCommitted(conn, 0)).values).toEqual(['x1']);
  });

  it('ends with a new producer id when the bump exhausts the epoch; the retry with the old id is still answered', async () => {
    const { b, conn, producer } = await start();
    const p = await producer('worn');
    // 32 766 transactions would take minutes: the coordinator's live state is moved to the last epoch before exhaustion.
    const live = b.broker.transactions.coordinator.describe('worn')!;
    live.producerEpoch = 32_766;
    p.epoch = 32_766;
    const old = p.producerId;
    expect(await p.produce(12, { 0: ['last'] })).toEqual([NONE]);
    const ended = await p.end(5, true);
    expect(ended.errorCode).toBe(NONE);
    expect(ended.producerId).not.toBe(old);
    expect(ended.producerEpoch).toBe(0);
    expect(await partitionEpoch(conn, 0, old)).toBe(32_767); // the marker: the old id at the bumped epoch
    expect((await readCommitted(conn, 0)).values).toEqual(['last']);
    expect(await p.call(26, 5, { transactionalId: 'worn', producerId: old, producerEpoch: 32_766, committed: true })).toMatchObject({ errorCode: NONE, producerId: ended.producerId, producerEpoch: 0 });
    expect(await p.produce(12, { 0: ['stale'] }, 32_766, old)).toEqual([INVALID_PRODUCER_ID_MAPPING]);
    // The new id survives a restart, and writes.
    broker = await b.restart();
    expect(broker.broker.transactions.coordinator.describe('worn')).toMatchObject({ producerId: ended.producerId, producerEpoch: 0, state: 'CompleteCommit' });
    const conn2 = await KafkaConnection.open('127.0.0.1', broker.port, 'v2-reader-2');
    closing.push(conn2);
    const q = await KafkaConnection.open('127.0.0.1', broker.port, 'v2-worn');
    closing.push(q);
    const batch = encodeBatch({ baseTimestamp: 1n, producerId: ended.producerId, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ key: null, value: Buffer.from('fresh'), headers: [] }] });
    const r: any = await q.request(0 as ApiKey, 12, { transactionalId: 'worn', acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }] } as never);
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(NONE);
    expect(await q.request(26 as ApiKey, 5, { transactionalId: 'worn', producerId: ended.producerId, producerEpoch: 0, committed: true } as never)).toMatchObject({ errorCode: NONE, producerId: ended.producerId, producerEpoch: 1 });
    expect((await readCommitted(conn2, 0)).values).toEqual(['last', 'fresh']);
  });

  it.each(['0', '1'])('at transaction.version %s: finalized so, Produce v12 and TxnOffsetCommit v5 need their partition and group added first, EndTxn v5 keeps the epoch', async (level) => {
    const { conn, producer } = await start({ 'transaction.version': level });
    const versions: any = await conn.request(18 as ApiKey, 4, { clientSoftwareName: 'test', clientSoftwareVersion: '1' } as never);
    expect(versions.supportedFeatures).toEqual([{ name: 'transaction.version', minVersion: 0, maxVersion: 2 }]);
    expect(versions.finalizedFeatures).toEqual(level === '0' ? [] : [{ name: 'transaction.version', maxVersionLevel: 1, minVersionLevel: 1 }]);
    const p = await producer('classic');
    expect(await p.produce(12, { 0: ['refused'] })).toEqual([INVALID_TXN_STATE]);
    expect(await p.commitOffsets(5, 'classic-group', 2n)).toBe(INVALID_TXN_STATE);
    expect(await transactionState(conn, 'classic')).toMatchObject({ transactionState: 'Empty', topics: [] });
    const add: any = await p.call(24, 3, { v3AndBelowTransactionalId: 'classic', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.epoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }] });
    expect(add.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(NONE);
    expect((await p.call(25, 3, { transactionalId: 'classic', producerId: p.producerId, producerEpoch: p.epoch, groupId: 'classic-group' })).errorCode).toBe(NONE);
    expect(await p.produce(12, { 0: ['kept'] })).toEqual([NONE]);
    expect(await p.commitOffsets(5, 'classic-group', 2n)).toBe(NONE);
    const epoch = p.epoch;
    expect(await p.end(5, true)).toMatchObject({ errorCode: NONE, producerId: p.producerId, producerEpoch: epoch });
    expect(await p.end(5, true)).toMatchObject({ errorCode: NONE, producerEpoch: epoch }); // a retry, at the same epoch
    expect((await readCommitted(conn, 0)).values).toEqual(['kept']);
    expect(await committedOffset(conn, 'classic-group', true)).toEqual([2n, NONE]);
  });

  it('commits after a SIGKILL in the middle of a v2 transaction: the joined partitions and group, and then the bumped epoch, survive restarts', async () => {
    const tmp = tempDir('mqlab-txn-v2-kill-');
    let serve = await RocketServe.start(tmp.dir, { 'mqlab.storage.engine': engine });
    const open: { close(): void }[] = [];
    try {
      const admin = await KafkaConnection.open('127.0.0.1', serve.kafkaPort, 'v2-admin');
      open.push(admin);
      const created: any = await admin.request(19 as ApiKey, 5, { topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }, { name: IN, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false } as never);
      expect(created.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual([NONE, NONE]);
      const p = await Producer.open(serve.kafkaPort, 'survivor');
      open.push(p);
      const first = p.epoch;
      expect(await p.produce(12, { 0: ['s0'], 1: ['s1'] })).toEqual([NONE, NONE]);
      expect(await p.commitOffsets(5, 'survivor-group', 4n)).toBe(NONE);

      await serve.kill();
      serve = await serve.restart();

      const conn = await KafkaConnection.open('127.0.0.1', serve.kafkaPort, 'v2-after');
      open.push(conn);
      expect(await transactionState(conn, 'survivor')).toMatchObject({ transactionState: 'Ongoing', producerId: p.producerId, producerEpoch: first, topics: [{ topic: TOPIC, partitions: [0, 1] }] });
      // The producer's own connection went with the killed broker: its EndTxn comes over another.
      expect(await conn.request(26 as ApiKey, 5, { transactionalId: 'survivor', producerId: p.producerId, producerEpoch: first, committed: true } as never)).toMatchObject({ errorCode: NONE, producerEpoch: first + 1 });
      expect((await readCommitted(conn, 0)).values).toEqual(['s0']);
      expect((await readCommitted(conn, 1)).values).toEqual(['s1']);
      expect(await committedOffset(conn, 'survivor-group', true)).toEqual([4n, NONE]);

      await serve.kill();
      serve = await serve.restart();
      const later = await KafkaConnection.open('127.0.0.1', serve.kafkaPort, 'v2-later');
      open.push(later);
      // The bump is durable: the retry at the epoch before is still answered, the epoch before still fenced.
      expect(await later.request(26 as ApiKey, 5, { transactionalId: 'survivor', producerId: p.producerId, producerEpoch: first, committed: true } as never)).toMatchObject({ errorCode: NONE, producerEpoch: first + 1 });
      const stale = encodeBatch({ baseTimestamp: 1n, producerId: p.producerId, producerEpoch: first, baseSequence: 1, transactional: true, records: [{ key: null, value: Buffer.from('stale'), headers: [] }] });
      const r: any = await later.request(0 as ApiKey, 12, { transactionalId: 'survivor', acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: stale }] }] } as never);
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(INVALID_PRODUCER_EPOCH);
      expect(await transactionState(later, 'survivor')).toMatchObject({ transactionState: 'CompleteCommit', producerEpoch: first + 1 });
    } finally {
      for (const c of open) c.close();
      await serve.stop();
      tmp.cleanup();
    }
  });
});
