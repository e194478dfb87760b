// mappedBytesAt (read-bytes.ts, native/mapped_read.cc): the bytes of a log
// read from the mmap strategy's mapping give what pread gives, on both
// engines (reads of more than one region are pread's), after the partition
// is deleted, and the addon refuses what it cannot map safely; reads within
// one 4 MiB chunk are views of the chunk's kept ArrayBuffer (mapChunk), one
// across chunks a Buffer of its own (mapRead).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { native } from '../src/native/addon.js';
import { missing } from './helpers/requires.js';
import { mappedView } from '../src/native/mapping.js';
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
    const { mapRead, mapChunk } = native;
    native.mapChunk = (fd, position, length) => {
      const b = mapChunk(fd, position, length);
      if (b !== null) mapped++;
      return b;
    };
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
    native.mapChunk = mapChunk;
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

describe('mappedView', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('mqlab-mapped-view-')));
  afterEach(() => tmp.cleanup());
  const CHUNK = native.mapChunkBytes;
  /** A Node process of its own (`command` before node's arguments, as valgrind), `fd` opened on `path` and the addon and mappedView imported for `body`. */
  const child = (path: string, body: string, nodeArgs: string[] = [], command: string[] = []): SpawnSyncReturns<string> => {
    const script = `const { native } = await import(${JSON.stringify(resolve('dist/src/native/addon.js'))}); const { mappedView } = await import(${JSON.stringify(resolve('dist/src/native/mapping.js'))});
      const fs = await import('node:fs'); const fd = fs.openSync(${JSON.stringify(path)}, 'r'); ${body}`;
    const [cmd, ...pre] = [...command, process.execPath];
    return spawnSync(cmd!, [...pre, ...nodeArgs, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  };

  it('views a kept chunk within one, makes a buffer of its own across two, and refuses what mapRead refuses', () => {
    const fd = openSync(join(tmp.dir, 'f'), 'w+');
    try {
      const bytes = Buffer.alloc(2 * CHUNK + 100);
      for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(i, i);
      writeSync(fd, bytes, 0, bytes.length, 0);
      expect(CHUNK).toBe(4 * 1024 * 1024);
      const a = mappedView(fd, 8, 4000)!;
      const b = mappedView(fd, CHUNK - 4000, 4000)!;
      expect(a.equals(bytes.subarray(8, 4008))).toBe(true);
      expect(b.equals(bytes.subarray(CHUNK - 4000, CHUNK))).toBe(true);
      // Both views of the first chunk, the same ArrayBuffer: made once.
      expect(a.buffer).toBe(b.buffer);
      expect(a.buffer.byteLength).toBe(CHUNK);
      expect(native.mapChunk(fd, CHUNK - 2, 4)).toBeNull();
      const across = mappedView(fd, CHUNK - 2, 4)!;
      expect(across.equals(bytes.subarray(CHUNK - 2, CHUNK + 2))).toBe(true);
      expect(across.buffer.byteLength).toBe(4);
      // The last chunk reaches past the end of the file: views stop at it.
      const tail = mappedView(fd, 2 * CHUNK, 100)!;
      expect(tail.equals(bytes.subarray(2 * CHUNK))).toBe(true);
      expect(mappedView(fd, 2 * CHUNK, 101)).toBeNull();
      expect(native.mapChunk(fd, 0, 0)).toBeNull();
      // Forgotten (the file is about to be deleted): the next read makes the chunk again, the views before read on.
      native.mapCacheForget(fd);
      const again = mappedView(fd, 8, 4000)!;
      expect(again.buffer).not.toBe(a.buffer);
      expect(again.equals(a)).toBe(true);
    } finally {
      closeSync(fd);
    }
    expect(() => (native.mapChunk as unknown as (...a: unknown[]) => unknown)('x', 0, 1)).toThrow(/mapChunk\(fd, position, length\)/);
  });

  it("keeps its chunks out of V8's count of the process's memory: 40 of them (160 MiB) start no mark-compact, where as many kept mapRead buffers do", () => {
    const path = join(tmp.dir, 'sparse');
    const fd = openSync(path, 'w+');
    ftruncateSync(fd, 41 * CHUNK);
    closeSync(fd);
    // In a process of its own, so that nothing else there allocates; --trace-gc prints each collection.
    const markCompacts = (read: string): number => {
      const r = child(path, `const kept = []; for (let c = 0; c < 40; c++) kept.push(${read}); console.log('kept', kept.length, kept.every((b) => b !== null));`, ['--trace-gc']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('kept 40 true');
      return r.stdout.split('\n').filter((l) => l.includes('Mark-Compact')).length;
    };
    expect(markCompacts(`mappedView(fd, c * ${CHUNK} + 8, 4096)`)).toBe(0);
    expect(markCompacts(`native.mapRead(fd, c * ${CHUNK}, ${CHUNK})`)).toBeGreaterThan(0);
  });

  it('views of chunks let go of (past the 1,024 kept) read the same after collections', () => {
    const path = join(tmp.dir, 'long');
    const fd = openSync(path, 'w+');
    const chunks = 1_100;
    // Each chunk's first bytes name it.
    for (let c = 0; c < chunks; c++) {
      const tag = Buffer.alloc(8);
      tag.writeUInt32LE(c, 0);
      writeSync(fd, tag, 0, 8, c * CHUNK);
    }
    ftruncateSync(fd, chunks * CHUNK);
    closeSync(fd);
    const r = child(path, `const views = []; for (let c = 0; c < ${chunks}; c++) views.push(mappedView(fd, c * ${CHUNK}, 8));
      for (let i = 0; i < 3; i++) globalThis.gc();
      console.log('same', views.every((v, c) => v.readUInt32LE(0) === c));`, ['--expose-gc']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('same true');
  });

  const hasValgrind = spawnSync('valgrind', ['--version']).status === 0;
  it.skipIf(missing('valgrind', hasValgrind))('an env torn down with chunks kept (a worker thread, then the main one) touches no freed memory (valgrind)', () => {
    const path = join(tmp.dir, 'kept');
    const fd = openSync(path, 'w+');
    ftruncateSync(fd, 3 * CHUNK);
    closeSync(fd);
    // The worker imports and opens as the main thread does (child() below), then keeps its chunks.
    const mapping = resolve('dist/src/native/mapping.js');
    const keep = `globalThis.kept = [0, 1, 2].map((c) => mappedView(fd, c * ${CHUNK} + 16, 64));`;
    const inWorker = `const { mappedView } = await import(${JSON.stringify(mapping)}); const fs = await import('node:fs'); const fd = fs.openSync(${JSON.stringify(path)}, 'r'); ${keep}`;
    const r = child(path, `const { Worker } = await import('node:worker_threads');
      const w = new Worker(${JSON.stringify(inWorker)}, { eval: true, type: 'module' });
      await new Promise((r) => w.on('exit', r));
      ${keep}
      console.log('kept', globalThis.kept.length);`, [], ['valgrind', '--error-exitcode=9']);
    expect(r.stdout).toContain('kept 3');
    expect(r.stderr).toContain('ERROR SUMMARY: 0 errors');
    expect(r.status).toBe(0);
  }, 150_000);
});
