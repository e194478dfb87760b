// Kafka transactions in the broker, on both engines: the last stable
// offset, read_committed reads and their aborted-transaction lists, the
// markers as control batches, fencing, timeouts, limits, and everything
// rebuilt from the log after a restart (a commit a crash interrupted
// between PrepareCommit and CompleteCommit included).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker, type BrokerConfig, type FetchResult } from '../src/broker/broker.js';
import { decodeBatch, encodeBatch, markerTypeAt, readBatchHeader } from '../src/records/index.js';
import { numberedBatch } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';
import { batchesIn, readRegions } from './helpers/regions.js';
import { releaseRegions } from '../src/transfer/index.js';

const TOPIC = 'tx';

function txnBatch(producerId: bigint, epoch: number, baseSequence: number, values: string[], transactional = true): Buffer {
  return encodeBatch({ baseTimestamp: 1_000n, producerId, producerEpoch: epoch, baseSequence, transactional, records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
}

/** The values of the records of a fetch result, data batches only, and the markers' types with their offsets. */
function seen(r: FetchResult): { values: string[]; markers: string[] } {
  const bytes = readRegions(r.regions);
  releaseRegions(r.regions);
  const values: string[] = [];
  const markers: string[] = [];
  for (const b of batchesIn(bytes)) {
    const type = markerTypeAt(b.bytes, 0);
    if (type) markers.push(`${type}@${b.baseOffset}`);
    else for (const rec of decodeBatch(b.bytes).records) values.push(rec.value!.toString());
  }
  return { values, markers };
}

describe.each(['segmented', 'commitlog'])('transactions (%s)', (engine) => {
  let tmp: ReturnType<typeof tempDir>;
  let broker: Broker;
  let now = 1_000_000;
  const start = async (over: Partial<BrokerConfig> = {}): Promise<Broker> => {
    broker = new Broker({ dataDir: tmp.dir, engine, flush: { kind: 'none' }, transfer: 'sendfile', autoCreateTopics: false, numPartitions: 1, txnClock: () => now, ...over });
    await broker.open();
    if (!broker.topics.get(TOPIC)) broker.createTopic(TOPIC, 2);
    return broker;
  };
  const restart = async (): Promise<Broker> => {
    await broker.close();
    return start();
  };
  const fetch = async (b: Broker, from: bigint, isolation: 'committed' | 'uncommitted', partition = 0): Promise<FetchResult> =>
    (await b.fetch([{ topic: TOPIC, partition, fetchOffset: from, maxBytes: 1 << 20 }], 0, 0, 1 << 20, isolation))[0]!;
  const txns = () => broker.transactions.coordinator;
  /** A transactional producer with its partitions added. */
  const begin = async (id: string, partitions = [0]): Promise<{ pid: bigint; epoch: number }> => {
    let t = txns().describe(id);
    if (!t) {
      const r = await txns().initProducerId(id, 60_000, -1n, -1);
      expect(r.error).toBe('NONE');
      t = txns().describe(id)!;
    }
    expect(await txns().addPartitions(id, t.producerId, t.producerEpoch, partitions.map((partition) => ({ topic: TOPIC, partition })))).toEqual(partitions.map(() => 'NONE'));
    return { pid: t.producerId, epoch: t.producerEpoch };
  };

  beforeEach(() => {
    tmp = tempDir();
    now = 1_000_000;
  });
  afterEach(async () => {
    await broker?.close();
    tmp.cleanup();
  });

  it('holds read_committed at the first open transaction, lists aborted ones, and rebuilds both from the log after a restart', async () => {
    const b = await start();
    const a = await begin('a');
    expect((await b.produce(TOPIC, 0, txnBatch(a.pid, a.epoch, 0, ['a1', 'a2']), -1, 'a')).error).toBe('NONE'); // 0-1
    expect((await b.produce(TOPIC, 0, numberedBatch('plain', 1))).error).toBe('NONE'); // 2
    let r = await fetch(b, 0n, 'committed');
    expect([r.highWatermark, r.lastStableOffset, r.bytes, r.abortedTransactions]).toEqual([3n, 0n, 0, []]);
    r = await fetch(b, 0n, 'uncommitted');
    expect([r.lastStableOffset, r.abortedTransactions]).toEqual([0n, null]);
    expect(seen(r).values).toEqual(['a1', 'a2', 'plain-0']);
    expect(b.listOffset(TOPIC, 0, -1n, 'committed').offset).toBe(0n);
    expect(b.listOffset(TOPIC, 0, -1n).offset).toBe(3n);

    expect((await txns().endTxn('a', a.pid, a.epoch, false)).error).toBe('NONE'); // abort marker at 3
    const c = await begin('a');
    expect((await b.produce(TOPIC, 0, txnBatch(c.pid, c.epoch, 2, ['c1']), -1, 'a')).error).toBe('NONE'); // 4
    expect((await txns().endTxn('a', c.pid, c.epoch, true)).error).toBe('NONE'); // commit marker at 5
    const check = async (x: Broker): Promise<void> => {
      const all = await fetch(x, 0n, 'committed');
      expect([all.highWatermark, all.lastStableOffset, all.abortedTransactions]).toEqual([6n, 6n, [{ producerId: a.pid, firstOffset: 0n, lastOffset: 3n }]]);
      expect(seen(all)).toEqual({ values: ['a1', 'a2', 'plain-0', 'c1'], markers: ['abort@3', 'commit@5'] });
      // From past the abort marker, it is not listed.
      expect((await fetch(x, 4n, 'committed')).abortedTransactions).toEqual([]);
      releaseRegions((await fetch(x, 4n, 'committed')).regions);
    };
    await check(b);
    await check(await restart());
  });

  it('keeps an open transaction open across a restart: the last stable offset holds until it ends', async () => {
    const b = await start();
    const t = await begin('open', [0, 1]);
    await b.produce(TOPIC, 1, numberedBatch('before', 2)); // 0-1
    expect((await b.produce(TOPIC, 1, txnBatch(t.pid, t.epoch, 0, ['t1']), -1, 'open')).error).toBe('NONE'); // 2
    await b.produce(TOPIC, 1, numberedBatch('after', 1)); // 3
    const x = await restart();
    expect(txns().describe('open')).toMatchObject({ state: 'Ongoing', producerId: t.pid, producerEpoch: t.epoch });
    let r = await fetch(x, 0n, 'committed', 1);
    expect([r.lastStableOffset, seen(r).values]).toEqual([2n, ['before-0', 'before-1']]);
    // The producer goes on after the restart: its sequence too.
    expect((await x.produce(TOPIC, 1, txnBatch(t.pid, t.epoch, 1, ['t2']), -1, 'open')).error).toBe('NONE'); // 4
    expect((await txns().endTxn('open', t.pid, t.epoch, true)).error).toBe('NONE'); // marker at 5 (partition 0 had no data: no marker there)
    r = await fetch(x, 0n, 'committed', 1);
    expect([r.lastStableOffset, seen(r)]).toEqual([6n, { values: ['before-0', 'before-1', 't1', 'after-0', 't2'], markers: ['commit@5'] }]);
    expect(x.engine.highWatermark({ topic: TOPIC, partition: 0 })).toBe(0n);
  });

  it('fences an earlier instance: InitProducerId aborts its open transaction and bumps the epoch', async () => {
    const b = await start();
    const z = await begin('z');
    expect((await b.produce(TOPIC, 0, txnBatch(z.pid, z.epoch, 0, ['zombie']), -1, 'z')).error).toBe('NONE');
    const fresh = await txns().initProducerId('z', 60_000, -1n, -1);
    // One bump to abort the open transaction (its marker fences the partition), one for the new instance.
    expect([fresh.error, fresh.producerId, fresh.producerEpoch]).toEqual(['NONE', z.pid, z.epoch + 2]);
    expect((await b.produce(TOPIC, 0, txnBatch(z.pid, z.epoch, 1, ['late']), -1, 'z')).error).toBe('INVALID_PRODUCER_EPOCH');
    expect((await txns().endTxn('z', z.pid, z.epoch, true)).error).toBe('PRODUCER_FENCED');
    expect(await txns().addPartitions('z', z.pid, z.epoch, [{ topic: TOPIC, partition: 0 }])).toEqual(['PRODUCER_FENCED']);
    const r = await fetch(b, 0n, 'committed');
    expect([r.lastStableOffset, r.abortedTransactions, seen(r)]).toEqual([2n, [{ producerId: z.pid, firstOffset: 0n, lastOffset: 1n }], { values: ['zombie'], markers: ['abort@1'] }]);
    expect(txns().describe('z')!.state).toBe('Empty');
  });

  it('aborts a transaction open past its timeout and fences its producer; forgets ids idle past transactional.id.expiration.ms', async () => {
    await start({ settings: { 'transactional.id.expiration.ms': '100000' } });
    const init = await txns().initProducerId('slow', 5_000, -1n, -1);
    const t = await begin('slow');
    await broker.produce(TOPIC, 0, txnBatch(t.pid, t.epoch, 0, ['s']), -1, 'slow');
    now += 4_999;
    await txns().expire();
    expect(txns().describe('slow')!.state).toBe('Ongoing');
    now += 1;
    await txns().expire();
    expect(txns().describe('slow')).toMatchObject({ state: 'CompleteAbort', producerEpoch: init.producerEpoch + 1 });
    expect((await txns().endTxn('slow', t.pid, t.epoch, true)).error).toBe('PRODUCER_FENCED');
    expect((await fetch(broker, 0n, 'committed')).lastStableOffset).toBe(2n);
    now += 100_000;
    await txns().expire();
    expect(txns().describe('slow')).toBeUndefined();
    await restart();
    expect(txns().describe('slow')).toBeUndefined(); // a tombstone: also after a restart
  });

  it('finishes at startup a commit that a crash cut between PrepareCommit and CompleteCommit: markers and offsets', async () => {
    const b = await start();
    const t = await begin('crash', [0, 1]);
    await b.produce(TOPIC, 0, txnBatch(t.pid, t.epoch, 0, ['p0']), -1, 'crash');
    await b.produce(TOPIC, 1, txnBatch(t.pid, t.epoch, 0, ['p1']), -1, 'crash');
    expect(await txns().addOffsets('crash', t.pid, t.epoch, 'g')).toBe('NONE');
    expect(await txns().commitOffsets('crash', t.pid, t.epoch, 'g', [{ topic: TOPIC, partition: 0, offset: 7n, metadata: null, leaderEpoch: -1 }])).toBe('NONE');
    // What EndTxn writes first, and nothing after it: the state a SIGKILL right after that write leaves.
    const open = txns().describe('crash')!;
    await (txns() as unknown as { log: { write(t: object[]): Promise<void> } }).log.write([{ ...open, state: 'PrepareCommit' }]);
    const x = await restart();
    expect(txns().describe('crash')).toMatchObject({ state: 'CompleteCommit' });
    for (const p of [0, 1]) {
      const r = await fetch(x, 0n, 'committed', p);
      expect([r.lastStableOffset, seen(r).markers]).toEqual([2n, ['commit@1']]);
    }
    expect(x.coordinator.committed('g', TOPIC, 0).offset).toBe(7n);
  });

  it('finishes at startup a bumped end (transaction.version 2) that a crash cut after PrepareCommit: markers at the bumped epoch, then the new producer id of an exhausted epoch', async () => {
    const b = await start();
    const t = await begin('worn', [0]);
    await b.produce(TOPIC, 0, txnBatch(t.pid, t.epoch, 0, ['w']), -1, 'worn');
    // What EndTxn v5 writes first when the bump exhausts the epoch: the last epoch, and the id to go on with.
    const open = txns().describe('worn')!;
    const next = t.pid + 1000n;
    await (txns() as unknown as { log: { write(t: object[]): Promise<void> } }).log.write([{ ...open, state: 'PrepareCommit', producerEpoch: 32_767, endBumpedEpoch: true, nextProducerId: next }]);
    const x = await restart();
    expect(txns().describe('worn')).toMatchObject({ state: 'CompleteCommit', producerId: next, producerEpoch: 0, prevProducerId: t.pid, nextProducerId: -1n });
    expect(x.producers.producers(`${TOPIC}-0`)).toMatchObject([{ producerId: t.pid, epoch: 32_767 }]);
    expect(seen(await fetch(x, 0n, 'committed')).markers).toEqual(['commit@1']);
    expect(txns().ofProducer(next)?.transactionalId).toBe('worn');
    expect(txns().ofProducer(t.pid)).toBeUndefined();
    // The producer's retry, with the id and epoch it sent: the new ones.
    expect(await txns().endTxn('worn', t.pid, 32_766, true, true)).toEqual({ error: 'NONE', producerId: next, producerEpoch: 0 });
    expect((await txns().endTxn('worn', t.pid, 32_765, true, true)).error).toBe('INVALID_PRODUCER_ID_MAPPING');
  });

  it('refuses transactional batches outside a transaction, of another id, or without a sequence', async () => {
    const b = await start();
    const t = await begin('r', [1]);
    const refused = async (partition: number, batch: Buffer, id: string | null) => (await b.produce(TOPIC, partition, batch, -1, id)).error;
    expect(await refused(0, txnBatch(t.pid, t.epoch, 0, ['x']), 'r')).toBe('INVALID_TXN_STATE'); // partition 0 was not added
    expect(await refused(1, txnBatch(t.pid, t.epoch, 0, ['x']), 'other')).toBe('INVALID_TXN_STATE');
    expect(await refused(1, txnBatch(t.pid + 999n, 0, 0, ['x']), 'r')).toBe('INVALID_PRODUCER_ID_MAPPING');
    expect(await refused(1, txnBatch(t.pid, t.epoch, -1, ['x']), 'r')).toBe('INVALID_RECORD');
    expect(await refused(1, txnBatch(t.pid, t.epoch, 0, ['ok']), 'r')).toBe('NONE');
    // A control batch is the coordinator's to write, never a producer's.
    const marker = encodeBatch({ baseTimestamp: 1n, producerId: t.pid, producerEpoch: t.epoch, transactional: true, control: true, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(6) }] });
    expect(await refused(1, marker, 'r')).toBe('INVALID_RECORD');
    expect(readBatchHeader(marker, 0).producerId).toBe(t.pid);
  });

  it('keeps its state in __transaction_state, compacted where the engine has a log cleaner', async () => {
    const b = await start();
    expect(b.topics.get('__transaction_state')?.configs['cleanup.policy']).toBe(engine === 'segmented' ? 'compact' : undefined);
    expect(b.topics.get('__transaction_state')?.internal).toBe(true);
  });

  it('holds at most mqlab.transactional.ids.max ids: one more is refused with POLICY_VIOLATION', async () => {
    await start({ settings: { 'mqlab.transactional.ids.max': '2' } });
    for (const id of ['one', 'two']) expect((await txns().initProducerId(id, 1000, -1n, -1)).error).toBe('NONE');
    expect((await txns().initProducerId('three', 1000, -1n, -1)).error).toBe('POLICY_VIOLATION');
    expect((await txns().initProducerId('one', 1000, -1n, -1)).error).toBe('NONE'); // a known id goes on
  });
});
