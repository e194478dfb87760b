// The broker's produce, fetch and offset operations over a real engine:
// auto-creation, idempotence (also across a restart), long polling.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker, type BrokerConfig } from '../src/broker/broker.js';
import { encodeBatch } from '../src/records/index.js';
import { numberedBatch } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';
import { batchesIn, readRegions } from './helpers/regions.js';
import { fetchWaiting } from './helpers/broker-events.js';

function idempotentBatch(producerId: bigint, epoch: number, baseSequence: number, values: string[]): Buffer {
  return encodeBatch({
    baseTimestamp: BigInt(Date.now()),
    producerId,
    producerEpoch: epoch,
    baseSequence,
    records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
  });
}

describe('broker core', () => {
  let tmp: ReturnType<typeof tempDir>;
  let broker: Broker;
  const start = async (over: Partial<BrokerConfig> = {}): Promise<Broker> => {
    broker = new Broker({ dataDir: tmp.dir, engine: 'segmented', flush: { kind: 'none' }, transfer: 'sendfile', autoCreateTopics: true, numPartitions: 2, ...over });
    await broker.open();
    return broker;
  };
  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    await broker?.close();
    tmp.cleanup();
  });

  it('auto-creates topics with num.partitions and serves what was produced', async () => {
    const b = await start();
    const r = await b.produce('auto', 1, numberedBatch('x', 3));
    expect(r).toMatchObject({ error: 'NONE', baseOffset: 0n });
    expect(b.topics.get('auto')?.partitions).toBe(2);
    const [f] = await b.fetch([{ topic: 'auto', partition: 1, fetchOffset: 0n, maxBytes: 1 << 20 }], 0, 1, 1 << 20);
    expect(f).toMatchObject({ error: 'NONE', highWatermark: 3n });
    expect(batchesIn(readRegions(f!.regions)).map((x) => x.lastOffset)).toEqual([2]);
    expect((await b.produce('auto', 5, numberedBatch('x', 1))).error).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect((await b.produce('__consumer_offsets', 0, numberedBatch('x', 1))).error).toBe('INVALID_TOPIC_EXCEPTION');
  });

  it('does not auto-create when that is off', async () => {
    const b = await start({ autoCreateTopics: false });
    expect((await b.produce('nope', 0, numberedBatch('x', 1))).error).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(b.topics.get('nope')).toBeUndefined();
  });

  it('answers a retried idempotent batch with its offsets, once, also after a restart', async () => {
    const b = await start();
    const producerId = b.newProducerId();
    const epoch = 0;
    const first = idempotentBatch(producerId, epoch, 0, ['a', 'b']);
    // Pipelined: the second is checked before the first resolves.
    const [r1, r2] = await Promise.all([b.produce('idem', 0, Buffer.from(first)), b.produce('idem', 0, idempotentBatch(producerId, epoch, 2, ['c']))]);
    expect([r1.error, r1.baseOffset, r2.error, r2.baseOffset]).toEqual(['NONE', 0n, 'NONE', 2n]);
    const retry = await b.produce('idem', 0, Buffer.from(first));
    expect([retry.error, retry.baseOffset]).toEqual(['NONE', 0n]);
    expect(b.engine.highWatermark({ topic: 'idem', partition: 0 })).toBe(3n);
    expect((await b.produce('idem', 0, idempotentBatch(producerId, epoch, 9, ['gap']))).error).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    await b.close();
    const again = await start();
    const afterRestart = await again.produce('idem', 0, idempotentBatch(producerId, epoch, 2, ['c']));
    expect([afterRestart.error, afterRestart.baseOffset]).toEqual(['NONE', 2n]);
    expect(again.engine.highWatermark({ topic: 'idem', partition: 0 })).toBe(3n);
    expect(again.newProducerId()).not.toBe(producerId);
  });

  it('deletes the committed offsets of a deleted topic, for every group and across a restart: a topic re-created under its name starts afresh', async () => {
    const b = await start();
    b.createTopic('gone', 2);
    b.createTopic('kept', 1);
    const at = (topic: string, partition: number, offset: bigint) => ({ topic, partition, offset, metadata: null });
    expect(await b.coordinator.commit('g1', '', -1, [at('gone', 0, 5n), at('gone', 1, 6n), at('kept', 0, 7n)])).toBe('NONE');
    expect(await b.coordinator.commit('g2', '', -1, [at('gone', 1, 8n)])).toBe('NONE');
    await b.deleteTopic('gone');
    const offsets = (x: Broker) => [x.coordinator.committed('g1', 'gone', 0).offset, x.coordinator.committed('g1', 'gone', 1).offset, x.coordinator.committed('g2', 'gone', 1).offset, x.coordinator.committed('g1', 'kept', 0).offset];
    expect(offsets(b)).toEqual([-1n, -1n, -1n, 7n]);
    expect(b.coordinator.list().map((g) => g.groupId)).toEqual(['g1']);
    await b.close();
    const again = await start();
    again.createTopic('gone', 2);
    expect(offsets(again)).toEqual([-1n, -1n, -1n, 7n]);
    expect(again.coordinator.list().map((g) => g.groupId)).toEqual(['g1']);
  });

  it('long-polls: a fetch at the end waits for the next append', async () => {
    const b = await start();
    await b.produce('poll', 0, numberedBatch('x', 1));
    const t0 = Date.now();
    const waiting = fetchWaiting(b, 'poll');
    const fetching = b.fetch([{ topic: 'poll', partition: 0, fetchOffset: 1n, maxBytes: 1 << 20 }], 5000, 1, 1 << 20);
    await waiting;
    await b.produce('poll', 0, numberedBatch('y', 2));
    const [f] = await fetching;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(batchesIn(readRegions(f!.regions))[0]!.baseOffset).toBe(1);
    const t1 = Date.now();
    const [empty] = await b.fetch([{ topic: 'poll', partition: 0, fetchOffset: 3n, maxBytes: 1 << 20 }], 100, 1, 1 << 20);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(90);
    expect(empty!.regions).toEqual([]);
  });

  it('answers offsets out of range, and lists offsets by time', async () => {
    const b = await start();
    for (let i = 0; i < 5; i++) await b.produce('time', 0, numberedBatch(`t${i}`, 2, 1000 + i * 100));
    const [f] = await b.fetch([{ topic: 'time', partition: 0, fetchOffset: 99n, maxBytes: 100 }], 0, 1, 100);
    expect(f).toMatchObject({ error: 'OFFSET_OUT_OF_RANGE', highWatermark: 10n });
    expect(b.listOffset('time', 0, -1n).offset).toBe(10n);
    expect(b.listOffset('time', 0, -2n).offset).toBe(0n);
    expect(b.listOffset('time', 0, 1250n).offset).toBe(6n);
    expect(b.listOffset('time', 0, 9999n).offset).toBe(-1n);
    expect(b.listOffset('none', 0, -1n).error).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it.each(['segmented', 'commitlog'])('answers acks=1 once written and acks=-1 after the fdatasync under flush=batch (%s)', async (engine) => {
    const b = await start({ engine, flush: { kind: 'batch' } });
    b.topics.create('acks', 1);
    const syncs = (): number => b.engine.stats().syncs!;
    const before = syncs();
    const one = await b.produce('acks', 0, numberedBatch('a', 1), 1);
    expect(one.error).toBe('NONE');
    expect(syncs()).toBe(before); // written and readable, not yet synced
    expect(b.engine.highWatermark({ topic: 'acks', partition: 0 })).toBe(1n);
    const all = await b.produce('acks', 0, numberedBatch('b', 1), -1);
    expect(all.error).toBe('NONE');
    expect(syncs()).toBeGreaterThan(before);
  });
});
