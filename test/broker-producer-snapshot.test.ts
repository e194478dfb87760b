// Producer-state snapshots on both engines: a start restores from the
// snapshot and scans only past its offsets, ending with the state a scan
// of the whole log gives (idempotent sequences, open and aborted
// transactions); a snapshot entry whose log no longer reaches its offset,
// whose topic was made again, or a file that does not parse, is passed
// over for the whole scan; and after a SIGKILL of `mqlab serve` the
// producers written past the snapshot are all there.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { SNAPSHOT_FILE } from '../src/broker/producer-snapshot-file.js';
import { Admin } from '../src/client/admin.js';
import { produceLoad } from '../src/client/load/producer.js';
import { BrokerProcess } from '../src/lab/broker-process.js';
import { encodeBatch } from '../src/records/index.js';
import { crc32c } from '../src/native/crc32c.js';
import { numberedBatch } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';
import { until } from './helpers/until.js';

const TOPIC = 'snap';
const PARTITIONS = 3;

interface SnapshotDoc {
  partitions: { topic: string; partition: number; endOffset: string; producers?: unknown[]; open?: unknown[]; aborted?: unknown[] }[];
}

/** The JSON after a snapshot file's first line. */
function snapshotDoc(path: string): SnapshotDoc {
  const bytes = readFileSync(path);
  return JSON.parse(bytes.subarray(bytes.indexOf(10) + 1).toString()) as SnapshotDoc;
}

/** A snapshot file of this JSON, with the first line (length and CRC) a broker writes. */
function writeDoc(path: string, doc: SnapshotDoc): void {
  const body = Buffer.from(JSON.stringify(doc));
  writeFileSync(path, Buffer.concat([Buffer.from(`mqlab-producer-snapshot 1 ${crc32c(body).toString(16).padStart(8, '0')} ${body.length}\n`), body]));
}

function idempotent(producerId: bigint, baseSequence: number, count: number, transactional = false, epoch = 0): Buffer {
  return encodeBatch({ baseTimestamp: 5_000n, producerId, producerEpoch: epoch, baseSequence, transactional, records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${producerId}-${baseSequence + i}`) })) });
}

describe.each(['segmented', 'commitlog'])('producer-state snapshots (%s)', (engine) => {
  let tmp: ReturnType<typeof tempDir>;
  let broker: Broker;
  const snapshot = (): string => join(tmp.dir, SNAPSHOT_FILE);
  const start = async (intervalMs = 0): Promise<Broker> => {
    broker = new Broker({ dataDir: tmp.dir, engine, flush: { kind: 'none' }, transfer: 'sendfile', autoCreateTopics: false, numPartitions: 1, settings: { 'mqlab.producer.snapshot.interval.ms': String(intervalMs) } });
    await broker.open();
    if (!broker.topics.get(TOPIC)) broker.createTopic(TOPIC, PARTITIONS);
    return broker;
  };
  const restart = async (): Promise<Broker> => {
    await broker.close();
    return start();
  };
  /** Stops, puts back the snapshot saved as .old, and starts on it: every partition from it. */
  const restartOnOld = async (): Promise<Broker> => {
    await broker.close();
    copyFileSync(`${snapshot()}.old`, snapshot());
    const x = await start();
    expect(x.producerStateRestore).toMatchObject({ fromSnapshot: x.producerStateRestore!.partitions });
    return x;
  };
  /** Every partition's producers and transactions, as comparable text. */
  const state = (b: Broker, topic = TOPIC, partitions = PARTITIONS): string =>
    JSON.stringify(
      Array.from({ length: partitions }, (_, p) => {
        const key = `${topic}-${p}`;
        return { producers: [...b.producers.entriesOf(key)], txns: b.transactions.partitions.stateOf(key) };
      }),
      (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? [...v] : v),
    );
  const txns = () => broker.transactions.coordinator;
  const begin = async (id: string, partitions: number[]): Promise<{ pid: bigint; epoch: number }> => {
    const r = await txns().initProducerId(id, 60_000, -1n, -1);
    expect(r.error).toBe('NONE');
    const t = txns().describe(id)!;
    expect(await txns().addPartitions(id, t.producerId, t.producerEpoch, partitions.map((partition) => ({ topic: TOPIC, partition })))).toEqual(partitions.map(() => 'NONE'));
    return { pid: t.producerId, epoch: t.producerEpoch };
  };
  /** Idempotent producers 101-103 (ids the coordinator does not give out here) over the partitions, a committed, an aborted and an open transaction. */
  const writeSome = async (b: Broker, round: number): Promise<void> => {
    for (let pid = 101n; pid <= 103n; pid++) {
      for (let i = 0; i < 3; i++) {
        expect((await b.produce(TOPIC, Number(pid) % PARTITIONS, idempotent(pid, (round * 3 + i) * 2, 2))).error).toBe('NONE');
        await b.produce(TOPIC, i % PARTITIONS, numberedBatch(`plain-${round}`, 1));
      }
    }
    for (const [id, end] of [[`commit-${round}`, true], [`abort-${round}`, false], [`open-${round}`, null]] as const) {
      const t = await begin(id, [0, 1]);
      for (const p of [0, 1]) expect((await b.produce(TOPIC, p, idempotent(t.pid, 0, 2, true, t.epoch), -1, id)).error).toBe('NONE');
      if (end !== null) expect((await txns().endTxn(id, t.pid, t.epoch, end)).error).toBe('NONE');
    }
  };

  beforeEach(() => {
    tmp = tempDir('mqlab-snapshot-');
  });
  afterEach(async () => {
    await broker?.close();
    tmp.cleanup();
  });

  it('restores every partition from the snapshot after a clean stop, to the state a scan of the whole log gives', async () => {
    const b = await start();
    await writeSome(b, 0);
    const expected = state(b);
    const lastBatch = idempotent(102n, 4, 2);
    const hw = b.engine.highWatermark({ topic: TOPIC, partition: 0 });

    const x = await restart();
    expect(x.producerStateRestore).toMatchObject({ fromSnapshot: x.producerStateRestore!.partitions, unreadable: null });
    expect(x.producerStateRestore!.partitions).toBeGreaterThanOrEqual(PARTITIONS);
    expect(state(x)).toBe(expected);
    // A retry of a batch written before the stop is answered with its offsets, not written again; a gap is refused.
    const retried = await x.produce(TOPIC, 0, lastBatch);
    expect([retried.error, retried.baseOffset < hw]).toEqual(['NONE', true]);
    expect(x.engine.highWatermark({ topic: TOPIC, partition: 0 })).toBe(hw);
    expect((await x.produce(TOPIC, 0, idempotent(102n, 9, 1))).error).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    const fetched = (await x.fetch([{ topic: TOPIC, partition: 1, fetchOffset: 0n, maxBytes: 1 << 20 }], 0, 0, 1 << 20, 'committed'))[0]!;
    expect(fetched.abortedTransactions?.length).toBe(1);
    expect(fetched.lastStableOffset).toBeLessThan(x.engine.highWatermark({ topic: TOPIC, partition: 1 }));

    // Without the snapshot: the whole log scanned, the same state.
    await x.close();
    expect(existsSync(snapshot())).toBe(true);
    writeFileSync(snapshot(), '');
    const y = await start();
    expect(y.producerStateRestore).toMatchObject({ fromSnapshot: 0 });
    expect(y.producerStateRestore!.unreadable).not.toBeNull();
    expect(state(y)).toBe(expected);
    // The file that did not parse was replaced by a snapshot of this start.
    expect(readFileSync(snapshot(), 'latin1')).toMatch(/^mqlab-producer-snapshot 1 [0-9a-f]{8} \d+\n\{/);
  });

  it('snapshots every mqlab.producer.snapshot.interval.ms while the logs grow', async () => {
    const b = await start(10);
    expect((await b.produce(TOPIC, 2, idempotent(101n, 0, 3))).error).toBe('NONE');
    const hw = String(b.engine.highWatermark({ topic: TOPIC, partition: 2 }));
    const snapped = () => snapshotDoc(snapshot()).partitions.find((p) => p.topic === TOPIC && p.partition === 2);
    await until('a snapshot holds the batch', () => snapped()?.endOffset === hw);
    expect(snapped()!.producers).toEqual([['101', 0, '5000', [[0, 2, '0', '2']]]]);
  });

  it('scans the log past an older snapshot: sequences and transactions written after it are all there', async () => {
    await writeSome(await start(), 0);
    await broker.close();
    copyFileSync(snapshot(), `${snapshot()}.old`);
    const b = await start();
    await writeSome(b, 1);
    const open = txns().describe('open-0')!;
    expect((await txns().endTxn('open-0', open.producerId, open.producerEpoch, false)).error).toBe('NONE');
    const expected = state(b);
    const x = await restartOnOld();
    expect(state(x)).toBe(expected);
  });

  it('scans from the log start a partition whose log no longer reaches the snapshot, or whose topic was made again', async () => {
    const b = await start();
    b.createTopic('again', 1);
    expect((await b.produce('again', 0, idempotent(9n, 0, 3))).error).toBe('NONE');
    await writeSome(b, 0);
    await b.close();
    const old = snapshotDoc(snapshot());
    copyFileSync(snapshot(), `${snapshot()}.old`);

    const c = await start();
    await c.deleteTopic('again');
    c.createTopic('again', 1);
    for (let i = 0; i < 4; i++) await c.produce('again', 0, numberedBatch('plain', 1));
    const expected = state(c);
    await c.close();
    // The old snapshot back, with partition 0's offset past its log's end.
    for (const p of old.partitions) if (p.topic === TOPIC && p.partition === 0) p.endOffset = String(BigInt(p.endOffset) + 100n);
    writeDoc(snapshot(), old);
    const x = await start();
    // Not from the snapshot: snap-0 (its log is shorter than the offset) and again-0 (another topic under the name).
    expect(x.producerStateRestore!.partitions - x.producerStateRestore!.fromSnapshot).toBe(2);
    expect(state(x)).toBe(expected);
    expect(state(x, 'again', 1)).toBe(JSON.stringify([{ producers: [], txns: null }]));
  });

  it('reads a marker written at the snapshot offset, and passes over a snapshot whose log start moved past it', async () => {
    const b = await start();
    const t = await begin('late', [0]);
    expect((await b.produce(TOPIC, 0, idempotent(t.pid, 0, 2, true, t.epoch), -1, 'late')).error).toBe('NONE');
    await b.close();
    copyFileSync(snapshot(), `${snapshot()}.old`);
    const c = await start();
    const hw = c.engine.highWatermark({ topic: TOPIC, partition: 0 });
    // The first batch after the snapshot's offset: the marker that ends the transaction.
    expect((await txns().endTxn('late', t.pid, t.epoch, true)).error).toBe('NONE');
    expect(c.engine.highWatermark({ topic: TOPIC, partition: 0 })).toBe(hw + 1n);
    const ended = state(c);
    const x = await restartOnOld();
    expect(state(x)).toBe(ended);
    const r = (await x.fetch([{ topic: TOPIC, partition: 0, fetchOffset: 0n, maxBytes: 1 << 20 }], 0, 0, 1 << 20, 'committed'))[0]!;
    expect(r.lastStableOffset).toBe(hw + 1n);

    // Records deleted past the marker: the snapshot (transaction open) no longer describes partition 0.
    await x.produce(TOPIC, 0, numberedBatch('after', 2));
    expect(await x.deleteRecords(TOPIC, 0, hw + 2n)).toBe(hw + 2n);
    await x.close();
    copyFileSync(`${snapshot()}.old`, snapshot());
    const y = await start();
    expect(y.producerStateRestore!.partitions - y.producerStateRestore!.fromSnapshot).toBe(1);
    const after = (await y.fetch([{ topic: TOPIC, partition: 0, fetchOffset: hw + 2n, maxBytes: 1 << 20 }], 0, 0, 1 << 20, 'committed'))[0]!;
    expect(after.lastStableOffset).toBe(y.engine.highWatermark({ topic: TOPIC, partition: 0 }));
  });

  it('snapshots at a clean stop exactly what its offsets hold, appends that arrive during the stop included or not', async () => {
    const b = await start();
    await writeSome(b, 0);
    // Not awaited: these land while close() waits for the engine.
    const during = [b.produce(TOPIC, 1, idempotent(101n, 6, 2)), b.produce(TOPIC, 2, idempotent(102n, 6, 2))];
    await b.close();
    await Promise.all(during);
    const x = await start();
    const restored = state(x);
    await x.close();
    writeFileSync(snapshot(), '');
    const y = await start();
    expect(y.producerStateRestore).toMatchObject({ fromSnapshot: 0 });
    expect(restored).toBe(state(y));
  });

  it('passes over a snapshot whose CRC does not match or whose state lies past its own offset', async () => {
    const b = await start();
    await writeSome(b, 0);
    const expected = state(b);
    await b.close();
    const doc = snapshotDoc(snapshot());
    const good = readFileSync(snapshot());
    // One digit changed after the first line: the CRC catches it.
    const flipped = Buffer.from(good);
    const at = flipped.indexOf('"endOffset":"') + '"endOffset":"'.length;
    flipped[at] = flipped[at] === 0x31 ? 0x32 : 0x31;
    writeFileSync(snapshot(), flipped);
    let x = await start();
    expect([x.producerStateRestore!.fromSnapshot, x.producerStateRestore!.unreadable]).toEqual([0, 'CRC-32C mismatch']);
    expect(state(x)).toBe(expected);
    await x.close();
    // Whole and parseable, but an open transaction at the snapshot's own end offset: refused whole.
    const p0 = doc.partitions.find((p) => p.topic === TOPIC && p.partition === 1)!;
    p0.open = [['77', p0.endOffset]];
    writeDoc(snapshot(), doc);
    x = await start();
    expect(x.producerStateRestore!.fromSnapshot).toBe(0);
    expect(x.producerStateRestore!.unreadable).toMatch(/not below the snapshot's end offset/);
    expect(state(x)).toBe(expected);
  });
});

describe('producer-state snapshot across a SIGKILL', () => {
  const tmp = tempDir('mqlab-snapshot-kill-');
  afterAll(() => tmp.cleanup());

  it.each([
    ['segmented', 0],
    ['commitlog', 0],
    ['segmented', 20],
    ['commitlog', 20],
  ])('%s, snapshots every %i ms: the producers written past the snapshot are there after the restart', async (engine, intervalMs) => {
    const dir = join(tmp.dir, `${engine}-${intervalMs}`);
    let b = await BrokerProcess.start(['--data-dir', dir, '--engine', engine, '--flush', 'none', '--set', `mqlab.producer.snapshot.interval.ms=${intervalMs}`], 0, { quiet: false });
    try {
      const load = (partitions: number[], records: number) =>
        produceLoad({ host: b.host, port: b.port, topic: 't', partitions, recordsPerBatch: 4, valueBytes: 100, acks: -1, idempotent: true, window: 4, targetRecordsPerSecond: 0, maxRecords: records, maxMs: 20_000 });
      const producers = async (): Promise<string> => {
        const a = await Admin.connect(b.bootstrap);
        try {
          return JSON.stringify([...(await a.describeProducers('t', [0, 1]))].map(([p, list]) => [p, list.map((x) => [String(x.producerId), x.lastSequence])]));
        } finally {
          a.close();
        }
      };
      const admin = await Admin.connect(b.bootstrap);
      await admin.createTopic('t', 2);
      admin.close();
      expect((await load([0, 1], 400)).errors).toBe(0);
      await b.stop();
      b = await b.restart(); // its start writes the snapshot the crash below leaves
      expect((await load([0], 200)).errors).toBe(0);
      expect((await load([1], 200)).errors).toBe(0);
      const before = await producers();
      expect(JSON.parse(before).flatMap(([, list]: [number, unknown[]]) => list).length).toBe(4);
      await b.kill();
      b = await b.restart();
      const line = b.recoveryLog.find((l) => l.includes('producer state of'));
      const [, all, fromSnapshot] = /producer state of (\d+) partitions: (\d+) from the snapshot/.exec(line ?? '') ?? [];
      expect(Number(fromSnapshot)).toBe(Number(all));
      expect(await producers()).toBe(before);
    } finally {
      await b.kill();
    }
  }, 60_000);
});
