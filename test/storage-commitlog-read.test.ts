// The commit log's read path over batches of many records: a batch's records
// share one consume-queue entry position, and the read skips them by
// galloping (read-path.ts pastBatch), across the chunks it reads the
// consume queue in (512 entries first, then 4× more each time). Seeded
// batch sizes, offsets and byte limits, checked against what was appended;
// another queue's batches lie between this one's in the log.
import { readSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CQ_ENTRY_BYTES, writeCqEntries } from '../src/storage/commitlog/cq-entry.js';
import { CommitLogEngine } from '../src/storage/commitlog/engine.js';
import { pastBatch } from '../src/storage/commitlog/read-path.js';
import { batchOf } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';
import { testRandom } from './helpers/seed.js';
import { releaseRegions } from '../src/transfer/index.js';

const q = { topic: 'many', partition: 0 };
const other = { topic: 'other', partition: 0 };

describe('commitlog reads of many-record batches', () => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: CommitLogEngine;

  beforeEach(async () => {
    tmp = tempDir();
    engine = new CommitLogEngine({ dir: tmp.dir, flush: { kind: 'none' } });
    await engine.open();
    engine.createPartition(q);
    engine.createPartition(other);
  });
  afterEach(async () => {
    await engine.close();
    tmp.cleanup();
  });

  it('hands out one region per batch from the one holding the offset, within the byte limit, whatever the records per batch', async () => {
    const random = testRandom('storage-commitlog-read.test.ts');
    const batches: { base: number; count: number; bytes: number }[] = [];
    let next = 0;
    for (let i = 0; i < 120; i++) {
      // Mostly large runs of records (past a 512-entry chunk now and then),
      // some of one; runs of batches as large as the one before, or one
      // record off (the read's guess of where a batch ends).
      const before = batches.at(-1)?.count ?? 1;
      const pick = random.int(0, 5);
      const count = pick === 0 ? 1 : pick <= 2 ? before : pick === 3 ? Math.max(1, before + random.int(-1, 1)) : random.int(2, 700);
      const batch = batchOf(Array.from({ length: count }, (_, r) => ({ value: `${i}-${r}` })));
      await engine.append(q, batch);
      if (random.int(0, 1) === 0) await engine.append(other, batchOf([{ value: 'between' }]));
      batches.push({ base: next, count, bytes: batch.length });
      next += count;
    }
    expect(engine.highWatermark(q)).toBe(BigInt(next));
    // Once with the newest entries in memory, once after a restart, read from the consume-queue files (past 512 entries through their mapping).
    for (const round of ['in memory', 'from files']) {
      if (round === 'from files') {
        await engine.close();
        engine = new CommitLogEngine({ dir: tmp.dir, flush: { kind: 'none' } });
        await engine.open();
      }
      probe(round);
    }
    function probe(round: string): void {
    for (let probe = 0; probe < 400; probe++) {
      const offset = random.int(0, next - 1);
      const maxBytes = random.int(1, 200_000);
      const first = batches.findIndex((b) => b.base <= offset && offset < b.base + b.count);
      // Kafka's rule: the first batch whole, then whole batches while the total stays within maxBytes.
      const expected = [batches[first]!.bytes];
      let total = expected[0]!;
      for (let i = first + 1; i < batches.length && total + batches[i]!.bytes <= maxBytes; i++) {
        expected.push(batches[i]!.bytes);
        total += batches[i]!.bytes;
      }
      const r = engine.read(q, BigInt(offset), maxBytes);
      try {
        expect(r.regions.map((x) => x.length), `${round}: offset ${offset}, maxBytes ${maxBytes}`).toEqual(expected);
        const bases = r.regions.map((x) => {
          const head = Buffer.alloc(8);
          readSync(x.file.fd, head, 0, 8, x.position);
          return Number(head.readBigInt64BE(0));
        });
        expect(bases).toEqual(batches.slice(first, first + expected.length).map((b) => b.base));
      } finally {
        releaseRegions(r.regions);
      }
    }
    }
  });

  it('finds where a batch\'s entries end from any entry of it, whatever the guess', () => {
    const random = testRandom('storage-commitlog-read.test.ts pastBatch');
    for (let layout = 0; layout < 50; layout++) {
      const counts = Array.from({ length: random.int(1, 6) }, () => random.int(1, 40));
      const entries = Buffer.alloc(counts.reduce((a, b) => a + b, 0) * CQ_ENTRY_BYTES);
      let at = 0;
      let position = 1000;
      const batchOfEntry: { position: number; end: number }[] = [];
      for (const n of counts) {
        writeCqEntries(entries, at * CQ_ENTRY_BYTES, position, 100, n);
        for (let k = 0; k < n; k++) batchOfEntry.push({ position, end: (at + n) * CQ_ENTRY_BYTES });
        at += n;
        position += 100 + random.int(1, 50);
      }
      for (let e = 0; e < batchOfEntry.length; e++) {
        const { position, end } = batchOfEntry[e]!;
        for (let guess = 0; guess <= 45; guess++) expect(pastBatch(entries, e * CQ_ENTRY_BYTES, position, guess), `layout ${counts}, entry ${e}, guess ${guess}`).toBe(end);
      }
    }
  });
});
