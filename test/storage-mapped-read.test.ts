// mappedBytesAt (read-bytes.ts, native/mapped_read.cc): the bytes of a log
// read from the mmap strategy's mapping give what pread gives, on both
// engines (reads of more than one region are pread's), after the partition
// is deleted, and the addon refuses what it cannot map safely.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { native } from '../src/native/addon.js';
import { mappedBytesAt, readBytesAt } from '../src/storage/read-bytes.js';
import { releaseRegions, type SharedFile } from '../src/transfer/shared-file.js';
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
    // The mappings made (calls that did not fall back to pread), and their memory: a read is served by a mapping if its bytes lie in one.
    let mapped = 0;
    const mappings = new Set<ArrayBufferLike>();
    const mapRead = native.mapRead;
    native.mapRead = (fd, position, length, ahead) => {
      const b = mapRead(fd, position, length, ahead);
      if (b !== null) {
        mapped++;
        mappings.add(b.buffer);
      }
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
    const served = kept.filter(([got]) => mappings.has(got.buffer)).length;
    // A segmented read never spans segments: all mapped. A commit-log read
    // of more than one batch is a region per batch (entry headers lie
    // between them): pread's.
    if (factory.name === 'segmented') expect(served).toBe(kept.length);
    else expect(served).toBeGreaterThan(0);
    if (factory.name === 'commitlog') expect(served).toBeLessThan(kept.length);
    // Reads a mapping made for an earlier read reaches are views of it: far fewer mappings than mapped reads.
    expect(mapped).toBeLessThan(served / 2);
    await engine.deletePartition(tp);
    // The mappings outlive the files: what was read reads the same.
    for (const [got, want] of kept) expect(got.equals(want)).toBe(true);
  });
});

describe('mappedBytesAt across many files', () => {
  const tmp = tempDir('mqlab-mapped-files-');
  afterEach(() => tmp.cleanup());

  it('keeps the mappings of the 64 files read last, no more, and reads the same either way', async () => {
    const engine = ENGINES.find((e) => e.name === 'segmented')!.make({ dir: tmp.dir, flush: { kind: 'none' }, segmentBytes: 1024 });
    await engine.open();
    try {
      const tp = { topic: 'many', partition: 0 };
      engine.createPartition(tp);
      // A batch of ~600 bytes each: a segment holds one, so 100 batches are 100 files.
      for (let i = 0; i < 100; i++) await engine.append(tp, numberedBatch(`m${i}-${'x'.repeat(500)}`, 1));
      const files = new Set<SharedFile>();
      for (const pass of [0, 1]) {
        for (let offset = 0n; offset < 100n; offset++) {
          const { regions } = engine.read(tp, offset, 1);
          for (const r of regions) files.add(r.file);
          releaseRegions(regions);
          expect(mappedBytesAt(engine, tp, offset, 1).equals(readBytesAt(engine, tp, offset, 1)), `pass ${pass}, offset ${offset}`).toBe(true);
        }
      }
      expect(files.size).toBeGreaterThan(64);
      expect([...files].filter((f) => f.mapped !== null).length).toBe(64);
    } finally {
      await engine.close();
    }
  });
});

describe('native.mapRead', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('mqlab-map-read-')));
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
    expect(() => (native.mapRead as unknown as (...a: unknown[]) => unknown)('x', 0, 1)).toThrow(/mapRead\(fd, position, length\[, ahead\]\)/);
    expect(() => (native.mapRead as unknown as (...a: unknown[]) => unknown)(0, 0, 1, 'x')).toThrow(/mapRead/);
  });

  it('maps past the region, with `ahead`, as far as the file and the window go', () => {
    const path = join(tmp.dir, 'g');
    const fd = openSync(path, 'w+');
    try {
      writeSync(fd, Buffer.from('0123456789'), 0, 10, 0);
      expect(native.mapRead(fd, 2, 3, 4)?.toString()).toBe('2345678');
      expect(native.mapRead(fd, 2, 3, 100)?.toString()).toBe('23456789');
      expect(native.mapRead(fd, 2, 3, 0)?.toString()).toBe('234');
      expect(native.mapRead(fd, 2, 3, -1)).toBeNull();
      // The region itself must still lie within the file.
      expect(native.mapRead(fd, 8, 3, 100)).toBeNull();
      ftruncateSync(fd, 2 ** 30 + 4096);
      expect(native.mapRead(fd, 2 ** 30 - 4, 4, 4096)?.length).toBe(4);
      expect(native.mapRead(fd, 2 ** 30, 4, 2 ** 20)?.length).toBe(4096);
    } finally {
      closeSync(fd);
    }
  });
});
