// The admin APIs that change stored state, over the wire against a running
// broker on each engine, and what a restart keeps: CreatePartitions (the
// count in topics.json), DeleteRecords (the log start offset), DeleteGroups
// and OffsetDelete (tombstones in __consumer_offsets).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { ApiKeys } from '../src/protocol/kafka/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { batchOf, numberedBatch } from './helpers/batches.js';

const ENGINES = ['segmented', 'commitlog'] as const;

describe.each(ENGINES)('%s engine', (engine) => {
  let broker: TestBroker;
  let conn: KafkaConnection | undefined;
  const start = async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'log.segment.bytes': '4096' });
    conn = await KafkaConnection.open('127.0.0.1', broker.port, 'admin-more');
  };
  const restart = async () => {
    conn?.close();
    broker = await broker.restart();
    conn = await KafkaConnection.open('127.0.0.1', broker.port, 'admin-more');
  };
  afterEach(async () => {
    conn?.close();
    conn = undefined;
    await broker.destroy();
  });

  const fetchAt = async (topic: string, partition: number, offset: bigint) => {
    const [r] = await broker.broker.fetch([{ topic, partition, fetchOffset: offset, maxBytes: 1 << 20 }], 0, 1, 1 << 20);
    const out = { error: r!.error, logStartOffset: r!.logStartOffset, bytes: r!.bytes };
    const { releaseFetched } = await import('../src/broker/broker.js');
    releaseFetched([r!]);
    return out;
  };
  const earliest = async (topic: string, partition: number): Promise<[number, bigint]> => {
    const r = await conn!.request(ApiKeys.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -2n }] }] });
    const p = r.topics[0]!.partitions[0]!;
    return [p.errorCode, p.offset];
  };

  it('CreatePartitions grows a topic; the count is in topics.json and survives a restart', async () => {
    await start();
    broker.broker.topics.create('grown', 2);
    const r = await conn!.request(ApiKeys.CreatePartitions, 3, { topics: [{ name: 'grown', count: 5, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(r.results).toEqual([{ name: 'grown', errorCode: 0, errorMessage: null }]);
    expect((await broker.broker.produce('grown', 4, numberedBatch('p4', 3))).error).toBe('NONE');
    const saved = JSON.parse(readFileSync(join(broker.dataDir, 'topics.json'), 'utf8')) as { name: string; partitions: number }[];
    expect(saved.find((t) => t.name === 'grown')?.partitions).toBe(5);
    await restart();
    const m = await conn!.request(ApiKeys.Metadata, 12, { topics: [{ name: 'grown', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(m.topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([0, 1, 2, 3, 4]);
    expect(broker.broker.engine.highWatermark({ topic: 'grown', partition: 4 })).toBe(3n);
    // Shrinking, or naming the count it has, is refused.
    const shrink = await conn!.request(ApiKeys.CreatePartitions, 3, { topics: [{ name: 'grown', count: 4, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(shrink.results[0]!.errorCode).toBe(37); // INVALID_PARTITIONS
    // The limit is the broker's partitions per topic (10,000).
    const huge = await conn!.request(ApiKeys.CreatePartitions, 3, { topics: [{ name: 'grown', count: 10_001, assignments: null }], timeoutMs: 5000, validateOnly: true });
    expect([huge.results[0]!.errorCode, huge.results[0]!.errorMessage]).toEqual([37, 'partitions must be 1 to 10000, got 10001']);
  });

  it('DeleteRecords moves the log start: fetches below it are out of range, ListOffsets earliest answers it, a restart keeps it', async () => {
    await start();
    broker.broker.topics.create('trimmed', 1);
    // One ~300-byte record per batch: 4 KiB segments (commit-log files) roll every dozen.
    for (let i = 0; i < 40; i++) await broker.broker.produce('trimmed', 0, batchOf([{ value: `${i}-`.padEnd(300, 'x') }]));
    const r = await conn!.request(ApiKeys.DeleteRecords, 2, { topics: [{ name: 'trimmed', partitions: [{ partitionIndex: 0, offset: 25n }] }], timeoutMs: 5000 });
    expect(r.topics[0]!.partitions).toEqual([{ partitionIndex: 0, lowWatermark: 25n, errorCode: 0 }]);
    const check = async () => {
      expect(await fetchAt('trimmed', 0, 24n)).toMatchObject({ error: 'OFFSET_OUT_OF_RANGE' });
      const at = await fetchAt('trimmed', 0, 25n);
      expect([at.error, at.logStartOffset]).toEqual(['NONE', 25n]);
      expect(at.bytes).toBeGreaterThan(0);
      expect(await earliest('trimmed', 0)).toEqual([0, 25n]);
    };
    await check();
    await restart();
    await check();
    // -1: up to the high watermark; past it: OFFSET_OUT_OF_RANGE.
    const all = await conn!.request(ApiKeys.DeleteRecords, 2, { topics: [{ name: 'trimmed', partitions: [{ partitionIndex: 0, offset: -1n }, { partitionIndex: 0, offset: 41n }] }], timeoutMs: 5000 });
    expect(all.topics[0]!.partitions.map((p) => [p.lowWatermark, p.errorCode])).toEqual([[40n, 0], [-1n, 1]]);
    expect(await earliest('trimmed', 0)).toEqual([0, 40n]);
    // The internal offsets topic is not for deleting.
    const internal = await conn!.request(ApiKeys.DeleteRecords, 2, { topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 5000 });
    expect(internal.topics[0]!.partitions[0]!.errorCode).toBe(17); // INVALID_TOPIC_EXCEPTION
  });

  it('DeleteGroups and OffsetDelete write tombstones: the deletions survive a restart', async () => {
    await start();
    broker.broker.topics.create('c', 2);
    const commit = (group: string) => broker.broker.coordinator.commit(group, '', -1, [0, 1].map((partition) => ({ topic: 'c', partition, offset: 5n, metadata: null })));
    expect([await commit('gone'), await commit('kept')]).toEqual(['NONE', 'NONE']);
    const d = await conn!.request(ApiKeys.DeleteGroups, 2, { groupsNames: ['gone'] });
    expect(d.results).toEqual([{ groupId: 'gone', errorCode: 0 }]);
    const o = await conn!.request(ApiKeys.OffsetDelete, 0, { groupId: 'kept', topics: [{ name: 'c', partitions: [{ partitionIndex: 0 }] }] });
    expect([o.errorCode, o.topics[0]!.partitions]).toEqual([0, [{ partitionIndex: 0, errorCode: 0 }]]);
    await restart();
    const c = broker.broker.coordinator;
    expect([c.committed('gone', 'c', 0).offset, c.committed('gone', 'c', 1).offset]).toEqual([-1n, -1n]);
    expect([c.committed('kept', 'c', 0).offset, c.committed('kept', 'c', 1).offset]).toEqual([-1n, 5n]);
    expect(c.list().map((g) => g.groupId)).toEqual(['kept']);
    const again = await conn!.request(ApiKeys.DeleteGroups, 2, { groupsNames: ['gone'] });
    expect(again.results[0]!.errorCode).toBe(69); // GROUP_ID_NOT_FOUND
  });

  it("DescribeLogDirs: a partition's size is the bytes of its batches, and shrinks when DeleteRecords drops whole files", async () => {
    await start();
    broker.broker.topics.create('sized', 1);
    let produced = 0;
    for (let i = 0; i < 30; i++) {
      const b = batchOf([{ value: `${i}-`.padEnd(300, 'x') }]);
      produced += b.length;
      await broker.broker.produce('sized', 0, b);
    }
    const sizeOf = async () => {
      const r = await conn!.request(ApiKeys.DescribeLogDirs, 4, { topics: [{ topic: 'sized', partitions: [0] }] });
      return r.results[0]!.topics[0]!.partitions[0]!.partitionSize;
    };
    expect(await sizeOf()).toBe(BigInt(produced));
    await broker.broker.deleteRecords('sized', 0, 20n);
    const after = await sizeOf();
    // The commitlog engine counts its consume queue's batches from the start; the segmented engine
    // its segment files, of which the one holding offset 20 stays whole.
    expect(after).toBeLessThan(BigInt(produced));
    expect(after).toBeGreaterThanOrEqual(BigInt((produced / 30) * 10));
  });
});
