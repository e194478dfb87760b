// The engines' open-file pool (least recently used closed past the limit,
// opened again on use) and the flusher's sync of files the pool closed.
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Flusher } from '../src/storage/flush.js';
import { FilePool, MIN_OPEN_FILES, PooledFile } from '../src/storage/file-pool.js';
import { tempDir } from './helpers/files.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function files(pool: FilePool, prefix: string, n: number): PooledFile[] {
  return Array.from({ length: n }, (_, i) => {
    const path = join(tmp.dir, `${prefix}-${i}`);
    writeFileSync(path, `${prefix} ${i}`);
    return new PooledFile(pool, path);
  });
}

const isOpen = (f: PooledFile): boolean => f.ifOpen !== null;

describe('FilePool', () => {
  it('refuses a limit below the minimum', () => {
    expect(() => new FilePool(MIN_OPEN_FILES - 1)).toThrow(RangeError);
  });

  it('opens on first use, and closes the least recently used past the limit', () => {
    const pool = new FilePool(MIN_OPEN_FILES);
    const fs = files(pool, 'lru', MIN_OPEN_FILES + 2);
    expect(fs.some(isOpen)).toBe(false);
    for (const f of fs.slice(0, MIN_OPEN_FILES)) f.openNow();
    expect(pool.size).toBe(MIN_OPEN_FILES);
    void fs[0]!.fd; // used again: no longer the least recently used
    fs[MIN_OPEN_FILES]!.openNow();
    expect([isOpen(fs[0]!), isOpen(fs[1]!)]).toEqual([true, false]);
    expect(pool.size).toBe(MIN_OPEN_FILES);
    // Opened again where it left off, under a new fd.
    expect(readlinkSync(`/proc/self/fd/${fs[1]!.fd}`)).toBe(fs[1]!.path);
    expect([isOpen(fs[1]!), isOpen(fs[2]!)]).toEqual([true, false]);
    expect([pool.opens, pool.reopens, pool.evictions]).toEqual([MIN_OPEN_FILES + 2, 1, 2]);
    for (const f of fs) f.close();
    expect(pool.size).toBe(0);
  });

  it('passes over a pinned file, and stays over the limit while every file is pinned', () => {
    const pool = new FilePool(MIN_OPEN_FILES);
    const fs = files(pool, 'pin', MIN_OPEN_FILES + 2);
    fs[0]!.openNow();
    fs[0]!.pin();
    for (const f of fs.slice(1, MIN_OPEN_FILES + 1)) f.openNow();
    expect([isOpen(fs[0]!), isOpen(fs[1]!)]).toEqual([true, false]);
    for (const f of fs.slice(2, MIN_OPEN_FILES + 1)) f.pin();
    fs[MIN_OPEN_FILES + 1]!.openNow();
    expect(pool.size).toBe(MIN_OPEN_FILES + 1);
    fs[0]!.unpin();
    fs[1]!.openNow(); // now the unpinned one goes
    expect(isOpen(fs[0]!)).toBe(false);
    expect(() => fs[0]!.unpin()).toThrow(/unpinned more often than pinned/);
    for (const f of fs) f.close();
  });

  it('never opens a file again once its owner closed it', () => {
    const pool = new FilePool(MIN_OPEN_FILES);
    const [f] = files(pool, 'closed', 1);
    f!.close();
    expect(() => f!.fd).toThrow(/is closed/);
  });
});

describe('Flusher', () => {
  it('holds the file it syncs: the pool closing it while the fdatasync waits for a thread leaves the fd valid', async () => {
    const pool = new FilePool(MIN_OPEN_FILES);
    const [written, ...others] = files(pool, 'inflight', MIN_OPEN_FILES + 1);
    const flusher = new Flusher({ kind: 'batch' });
    writeSync(written!.fd, Buffer.from('more'), 0, 4, 100);
    const file = written!.shared;
    const sync = flusher.afterWrite(file); // the fdatasync is queued for libuv's pool, not yet run
    for (const f of others) f.openNow(); // the pool closes `written` meanwhile
    expect(isOpen(written!)).toBe(false);
    expect(file.open).toBe(true); // the sync's lease
    await sync;
    expect(file.open).toBe(false);
    for (const f of others) f.close();
  });

  it('syncs a file the pool closed after it was written by opening it again, and passes over one deleted since', async () => {
    const pool = new FilePool(MIN_OPEN_FILES);
    const [written, deleted, ...others] = files(pool, 'dirty', MIN_OPEN_FILES + 2);
    const flusher = new Flusher({ kind: 'none' });
    writeSync(written!.fd, Buffer.from('more'), 0, 4, 100);
    const writtenFile = written!.shared;
    expect(flusher.afterWrite(writtenFile)).toBeNull(); // flush=none: nothing waits
    writeSync(deleted!.fd, Buffer.from('gone'), 0, 4, 0);
    expect(flusher.afterWrite(deleted!.shared)).toBeNull();
    for (const f of others) f.openNow(); // both written files are closed by the pool
    expect([writtenFile.open, isOpen(deleted!)]).toEqual([false, false]);
    rmSync(deleted!.path);
    await flusher.flush();
    expect(flusher.syncCount).toBe(1);
    expect(readFileSync(written!.path).subarray(100).toString()).toBe('more');
    expect(existsSync(deleted!.path)).toBe(false);
    for (const f of [written!, deleted!, ...others]) f.close();
  });
});
