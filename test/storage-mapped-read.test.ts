// mappedBytesAt (read-bytes.ts, native/mapped_read.cc): the bytes of a log
// read from the mmap strategy's mapping give what pread gives, on both
// engines (reads of more than one region are pread's), after the partition
// is deleted, and the addon refuses what it cannot map safely.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../src/native/addon.js';
import { mappedBytesAt, readBytesAt } from '../src/storage/read-bytes.js';
import type { StorageEngine } from '../src/storage/types.js';
import { numberedBatch } from './helpers/batches.js';
import { ENGINES } from './helpers/engines.js';
import { tempDir } from './helpers/files.js';

describe.each(ENGINES)('$name engine: mappedBytesAt', (factory) => {
  const tmp = tempDir('mqlab-mapped-read-');
  let engine: StorageEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    tmp.cleanup();
  });

  it('reads what pread reads, from every offset, and keeps its bytes after the partition is deleted', async () => {
    // Small files, so reads cross from one to the next.
    engine = factory.make({ dir: tmp.dir, flush: { kind: 'none' }, segmentBytes: 8 * 1024 });
    await engine.open();
    const tp = { topic: 't', partition: 0 };
    engine.createPartition(tp);
    for (let i = 0; i < 60; i++) await engine.append(tp, numberedBatch(`b${i}-`, 1 + (i % 5)));
    const hw = engine.highWatermark(tp);
    // Counts the reads the mapping served (the others were pread's).
    let mapped = 0;
    const mapRead = native.mapRead;
    native.mapRead = (fd, position, length) => {
      const b = mapRead(fd, position, length);
      if (b !== null) mapped++;
      return b;
    };
    const kept: [Buffer, Buffer][] = [];
    for (let offset = 0n; offset < hw; offset += 3n) {
      for (const maxBytes of [1, 700, 5_000, 40_000]) {
        const want = readBytesAt(engine, tp, offset, maxBytes);
        const got = mappedBytesAt(engine, tp, offset, maxBytes);
        expect(got.equals(want), `offset ${offset}, ${maxBytes} bytes`).toBe(true);
        kept.push([got, want]);
      }
    }
    native.mapRead = mapRead;
    // A segmented read never spans segments: all mapped. A commit-log read
    // of more than one batch is a region per batch (entry headers lie
    // between them): pread's.
    if (factory.name === 'segmented') expect(mapped).toBe(kept.length);
    else expect(mapped).toBeGreaterThan(0);
    if (factory.name === 'commitlog') expect(mapped).toBeLessThan(kept.length);
    await engine.deletePartition(tp);
    // The mappings outlive the files: what was read reads the same.
    for (const [got, want] of kept) expect(got.equals(want)).toBe(true);
  });
});

describe('native.mapRead', () => {
  const tmp = tempDir('mqlab-map-read-');
  afterEach(() => tmp.cleanup());

  it('maps a region within the file, and refuses one past its end, across a 1 GiB window, or empty', () => {
    const path = join(tmp.dir, 'f');
    const fd = openSync(path, 'w+');
    try {
      writeSync(fd, Buffer.from('0123456789'), 0, 10, 0);
      expect(native.mapRead(fd, 2, 5)?.toString()).toBe('23456');
      expect(native.mapRead(fd, 5, 6)).toBeNull();
      expect(native.mapRead(fd, 0, 0)).toBeNull();
      expect(native.mapRead(fd, -1, 2)).toBeNull();
      // A sparse file past the first window: a region across its edge is pread's.
      ftruncateSync(fd, 2 ** 30 + 4096);
      expect(native.mapRead(fd, 2 ** 30 - 2, 4)).toBeNull();
      expect(native.mapRead(fd, 2 ** 30 - 4, 4)?.length).toBe(4);
      expect(native.mapRead(fd, 2 ** 30, 4)?.equals(Buffer.alloc(4))).toBe(true);
    } finally {
      closeSync(fd);
    }
    expect(() => (native.mapRead as unknown as (...a: unknown[]) => unknown)('x', 0, 1)).toThrow(/mapRead\(fd, position, length\)/);
  });
});
