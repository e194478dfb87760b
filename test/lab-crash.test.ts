// The crash soak's parts: seeded random streams, an idempotent load
// producer that a SIGKILLed `mqlab serve` child does not make write twice,
// the consumer's CRC check against a flipped byte on disk, and reading the
// bytes a recovery truncated from the broker's log lines. The scenario
// itself runs end to end in lab-scenarios.test.ts.
import { openSync, readdirSync, readSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consumeLoad } from '../src/client/load/consumer.js';
import { produceLoad, type ProducerLoadOptions } from '../src/client/load/producer.js';
import { Admin } from '../src/client/admin.js';
import { BrokerProcess } from '../src/lab/broker-process.js';
import { seededRandom } from '../src/lab/random.js';
import { truncatedIn } from '../src/lab/scenarios/crash-soak.js';
import { readBatchHeader } from '../src/records/index.js';
import { startTestBroker } from './helpers/broker.js';
import { tempDir } from './helpers/files.js';

describe('seeded random streams', () => {
  it('repeat for the same seed and stream, and differ between streams and seeds', () => {
    const draw = (seed: number, stream: string): number[] => {
      const r = seededRandom(seed, stream);
      return Array.from({ length: 8 }, () => r.int(0, 1_000_000));
    };
    expect(draw(42, 'crash/segmented/none')).toEqual(draw(42, 'crash/segmented/none'));
    expect(draw(42, 'crash/segmented/none')).not.toEqual(draw(42, 'crash/commitlog/none'));
    expect(draw(42, 'crash/segmented/none')).not.toEqual(draw(43, 'crash/segmented/none'));
  });

  it('draws integers inside [lo, hi], both ends reached', () => {
    const r = seededRandom(7, 'bounds');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(r.int(3, 9));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('recovery log lines', () => {
  it('sum the bytes each engine reports truncating', () => {
    const lines = [
      '[t] INFO recovery: /d/soak-0: torn tail at byte 4096 of segment 00000000000000000000: kept 12 batches, truncated 317 bytes',
      '[t] INFO recovery: commit log /d/log/commitlog: torn entry: short; kept 40 entries scanned from position 0 (the whole log), truncated 90 bytes; rebuilt 40 consume-queue entries in 2 queues',
      '[t] INFO recovery: commit log /d/log/commitlog: 40 entries scanned from position 0 (the whole log), all valid, log ends at 8000; rebuilt 0 consume-queue entries in 0 queues',
    ];
    expect(truncatedIn(lines)).toBe(407);
    expect(truncatedIn([])).toBe(0);
  });
});

describe('load producer and consumer for the soak', () => {
  const tmp = tempDir('mqlab-lab-crash-');
  afterAll(() => tmp.cleanup());

  it('an idempotent producer retrying across a SIGKILL writes nothing twice; every acknowledged record is read back intact', { timeout: 60_000 }, async () => {
    let b = await BrokerProcess.start(['--data-dir', join(tmp.dir, 'kill'), '--engine', 'segmented', '--flush', 'none']);
    try {
      const admin = await Admin.connect(b.bootstrap);
      await admin.createTopic('t', 2);
      admin.close();
      const stop = new AbortController();
      const acked = new Set<number>();
      let killAt: () => void = () => undefined;
      const enough = new Promise<void>((resolve) => (killAt = resolve));
      const options = (idempotent: boolean, into: Set<number>): ProducerLoadOptions => ({
        host: b.host,
        port: b.port,
        topic: 't',
        partitions: [0, 1],
        recordsPerBatch: 10,
        valueBytes: 64,
        acks: -1,
        idempotent,
        window: 5,
        targetRecordsPerSecond: 0,
        maxRecords: 1_000_000,
        maxMs: 20_000,
        reconnect: true,
        stop: stop.signal,
        onAck: (first, n, ok) => {
          if (!ok) return;
          for (let s = first; s < first + n; s++) into.add(s);
          if (into.size >= 500) killAt();
        },
      });
      const running = produceLoad(options(true, acked));
      await enough;
      await b.kill();
      b = await b.restart();
      stop.abort();
      const p = await running;
      expect([p.errors, p.reconnects > 0, acked.size]).toEqual([0, true, p.ackedRecords]);
      const end = await Admin.connect(b.bootstrap).then(async (a) => {
        try {
          return await a.offsets('t', [0, 1], -1n);
        } finally {
          a.close();
        }
      });
      const c = await consumeLoad({ host: b.host, port: b.port, topic: 't', from: new Map([[0, 0n], [1, 0n]]), until: end, expectRecords: Number.MAX_SAFE_INTEGER, maxMs: 20_000, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20, checkCrc: true });
      const missing = [...acked].filter((s) => !c.integrity.has(p.producerId, s));
      expect({ missing: missing.length, duplicated: c.integrity.duplicatesOf(p.producerId), badBatches: c.badBatches }).toEqual({ missing: 0, duplicated: 0, badBatches: 0 });
    } finally {
      await b.stop();
    }
  });

  it('an idempotent producer puts its broker-given id and per-partition sequences in the batch headers', async () => {
    const broker = await startTestBroker();
    try {
      broker.broker.topics.create('h', 2);
      const p = await produceLoad({ host: '127.0.0.1', port: broker.port, topic: 'h', partitions: [0, 1], recordsPerBatch: 5, valueBytes: 16, acks: -1, idempotent: true, window: 5, targetRecordsPerSecond: 0, maxRecords: 200, maxMs: 20_000 });
      expect(p.ackedRecords).toBe(200);
      const dir = join(broker.dataDir, 'log', 'h-1');
      const log = readdirSync(dir).find((f) => f.endsWith('.log'))!;
      const fd = openSync(join(dir, log), 'r');
      const buf = Buffer.alloc(1 << 16);
      const n = readSync(fd, buf, 0, buf.length, 0);
      closeSync(fd);
      const headers = [];
      for (let at = 0; at + 61 <= n; ) {
        const h = readBatchHeader(buf, at);
        headers.push(h);
        at += h.batchLength + 12;
      }
      expect(headers).toHaveLength(20);
      expect(new Set(headers.map((h) => h.producerId)).size).toBe(1);
      expect(headers[0]!.producerId).toBeGreaterThanOrEqual(0n);
      expect(headers.map((h) => h.baseSequence)).toEqual(Array.from({ length: 20 }, (_, i) => i * 5));
    } finally {
      await broker.destroy();
    }
  });

  it('refuses idempotence with more than 5 requests in flight', async () => {
    await expect(produceLoad({ host: '127.0.0.1', port: 1, topic: 'x', partitions: [0], recordsPerBatch: 1, valueBytes: 8, acks: -1, idempotent: true, window: 6, targetRecordsPerSecond: 0, maxRecords: 1, maxMs: 1000 })).rejects.toThrow(/at most 5/);
  });

  it('the consumer\'s CRC check finds a byte flipped on disk', async () => {
    const broker = await startTestBroker();
    try {
      broker.broker.topics.create('c', 1);
      const p = await produceLoad({ host: '127.0.0.1', port: broker.port, topic: 'c', partitions: [0], recordsPerBatch: 10, valueBytes: 32, acks: 1, window: 4, targetRecordsPerSecond: 0, maxRecords: 100, maxMs: 20_000 });
      expect(p.ackedRecords).toBe(100);
      const dir = join(broker.dataDir, 'log', 'c-0');
      const fd = openSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!), 'r+');
      // The last byte of the first batch: a record's value, covered by the CRC.
      const head = Buffer.alloc(12);
      readSync(fd, head, 0, 12, 0);
      const last = head.readInt32BE(8) + 11;
      const one = Buffer.alloc(1);
      readSync(fd, one, 0, 1, last);
      one[0] = one[0]! ^ 0x01;
      writeSync(fd, one, 0, 1, last);
      closeSync(fd);
      const read = (checkCrc: boolean) => consumeLoad({ host: '127.0.0.1', port: broker.port, topic: 'c', from: new Map([[0, 0n]]), until: new Map([[0, 100n]]), expectRecords: 100, maxMs: 20_000, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20, checkCrc });
      expect((await read(true)).badBatches).toBe(1);
      expect((await read(false)).badBatches).toBe(0);
    } finally {
      await broker.destroy();
    }
  });
});
