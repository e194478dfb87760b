// DeleteRecords at the engine: the log start offset moves forward, inside a
// file or past whole ones, reads below it fail, and it holds across clean
// and unclean restarts; the files wholly below it are gone (segmented:
// segments; commitlog: consume-queue files; the shared commit log is
// retention's to delete).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../src/storage/errors.js';
import { writeStartOffset } from '../src/storage/start-offset-file.js';
import { CommitLogEngine } from '../src/storage/commitlog/engine.js';
import type { EngineOptions, StorageEngine } from '../src/storage/types.js';
import { batchOf } from './helpers/batches.js';
import { ENGINES } from './helpers/engines.js';
import { tempDir } from './helpers/files.js';
import { batchesIn, readRegions } from './helpers/regions.js';

const tp = { topic: 'd', partition: 0 };
const other = { topic: 'd', partition: 1 };

/** One record per batch, with a value of ~200 bytes, so small files roll often. */
const batch = (i: number): Buffer => batchOf([{ value: `${i}-`.padEnd(200, 'x'), timestampMs: 1_700_000_000_000 + i }]);

describe.each(ENGINES)('$name engine: deleteRecordsBefore', (factory) => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: StorageEngine;
  const open = async (o: Partial<EngineOptions> = {}): Promise<StorageEngine> => {
    engine = factory.name === 'commitlog'
      ? new CommitLogEngine({ dir: tmp.dir, flush: { kind: 'none' }, segmentBytes: 4096, ...o }, { cqFileEntries: 8 })
      : factory.make({ dir: tmp.dir, flush: { kind: 'none' }, segmentBytes: 4096, ...o });
    await engine.open();
    return engine;
  };
  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    await engine.close();
    tmp.cleanup();
  });

  const firstOffsetRead = (e: StorageEngine, offset: bigint): number => {
    const r = e.read(tp, offset, 1 << 20);
    try {
      return batchesIn(readRegions(r.regions))[0]!.baseOffset;
    } finally {
      for (const region of r.regions) region.file.release();
    }
  };

  it('moves the start inside a file and past whole ones, durably', async () => {
    const e = await open();
    e.createPartition(tp);
    e.createPartition(other);
    for (let i = 0; i < 60; i++) await e.append(tp, batch(i));
    for (let i = 0; i < 5; i++) await e.append(other, batch(i));
    await e.flush(); // the commitlog engine's consume-queue entries reach their files
    const filesBefore = readdirSync(tmp.dir, { recursive: true }).length;
    expect(await e.deleteRecordsBefore(tp, 37n)).toBe(37n);
    expect(e.logStartOffset(tp)).toBe(37n);
    expect(() => e.read(tp, 36n, 1024)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
    expect(firstOffsetRead(e, 37n)).toBe(37);
    expect(readdirSync(tmp.dir, { recursive: true }).length).toBeLessThan(filesBefore); // whole files below 37 went
    // Below the start: nothing changes; past the end: refused; the other partition is untouched.
    expect(await e.deleteRecordsBefore(tp, 10n)).toBe(37n);
    await expect(e.deleteRecordsBefore(tp, 61n)).rejects.toBeInstanceOf(StorageError);
    expect(e.logStartOffset(other)).toBe(0n);
    // A clean restart keeps it, and so does an unclean one (no close: the marker is missing).
    await e.close();
    const again = await open();
    expect([again.logStartOffset(tp), again.highWatermark(tp), again.logStartOffset(other)]).toEqual([37n, 60n, 0n]);
    expect(firstOffsetRead(again, 37n)).toBe(37);
    expect(await again.deleteRecordsBefore(tp, 45n)).toBe(45n);
    // Closed, then the clean-shutdown marker removed: the next open recovers as after a crash.
    await again.close();
    rmSync(join(tmp.dir, '.clean-shutdown'));
    const crashed = await open();
    expect([crashed.logStartOffset(tp), crashed.highWatermark(tp)]).toEqual([45n, 60n]);
    expect(() => crashed.read(tp, 44n, 1024)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
    // Appends go on after it.
    await crashed.append(tp, batch(60));
    expect(crashed.highWatermark(tp)).toBe(61n);
  });

  it('deletes everything up to the end, and a recreated partition starts from 0 again', async () => {
    const e = await open();
    e.createPartition(tp);
    for (let i = 0; i < 20; i++) await e.append(tp, batch(i));
    expect(await e.deleteRecordsBefore(tp, 20n)).toBe(20n);
    const r = e.read(tp, 20n, 1024);
    expect([r.regions.length, r.logStartOffset, r.highWatermark]).toEqual([0, 20n, 20n]);
    await e.deletePartition(tp);
    e.createPartition(tp);
    expect([e.logStartOffset(tp), e.highWatermark(tp)]).toEqual([0n, 0n]);
    await e.close();
    const again = await open();
    expect([again.logStartOffset(tp), again.highWatermark(tp)]).toEqual([0n, 0n]);
  });

  it('a saved start past the end (a machine crash lost the tail it was set in) comes down to the end', async () => {
    let e = await open();
    e.createPartition(tp);
    for (let i = 0; i < 5; i++) await e.append(tp, batch(i));
    await e.close();
    // As if DeleteRecords had moved the start to 9 and the crash then lost offsets 5 to 8.
    const dir = factory.name === 'commitlog' ? join(tmp.dir, 'consumequeue', 'd', '0') : join(tmp.dir, 'd-0');
    writeStartOffset(dir, 9);
    e = await open();
    expect([e.logStartOffset(tp), e.highWatermark(tp)]).toEqual([5n, 5n]);
    await e.append(tp, batch(5));
    expect(firstOffsetRead(e, 5n)).toBe(5);
    await e.close();
    e = await open();
    expect([e.logStartOffset(tp), e.highWatermark(tp)]).toEqual([5n, 6n]); // the record appended after stays readable
  });
});
