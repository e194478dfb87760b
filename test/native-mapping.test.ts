import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mapFile, syncMapping, unmapFile } from '../src/native/mapping.js';
import { tempDir } from './helpers/files.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('file mappings', () => {
  it('reads the file through a read-only mapping', () => {
    const fd = openSync(join(tmp.dir, 'r.bin'), 'w+');
    const data = randomBytes(10_000);
    writeSync(fd, data, 0, data.length, 0);
    const m = mapFile(fd, 0, data.length);
    expect(Buffer.from(m).equals(data)).toBe(true);
    unmapFile(m);
    closeSync(fd);
  });

  it('writes the file through a writable mapping, past 4 GiB, and syncs', () => {
    const fd = openSync(join(tmp.dir, 'w.bin'), 'w+');
    const offset = 4 * 1024 ** 3 + 64 * 1024; // page aligned, past 32-bit
    ftruncateSync(fd, offset + 8192);
    const m = mapFile(fd, offset, 8192, true);
    const view = new Uint8Array(m);
    view.set(Buffer.from('written through mmap'), 100);
    syncMapping(m, 100, 20);
    const back = Buffer.alloc(20);
    readSync(fd, back, 0, 20, offset + 100);
    expect(back.toString()).toBe('written through mmap');
    unmapFile(m);
    closeSync(fd);
  });

  it('unmap detaches: stale views read as empty, a second unmap is refused', () => {
    const fd = openSync(join(tmp.dir, 'd.bin'), 'w+');
    ftruncateSync(fd, 4096);
    const m = mapFile(fd, 0, 4096, true);
    const view = new Uint8Array(m);
    unmapFile(m);
    expect(m.byteLength).toBe(0);
    expect(view.length).toBe(0);
    expect(view[0]).toBeUndefined();
    expect(() => unmapFile(m)).toThrow(/not a live mapping/);
    closeSync(fd);
  });

  it('refuses bad arguments with clear errors', () => {
    const fd = openSync(join(tmp.dir, 'e.bin'), 'w+');
    ftruncateSync(fd, 4096);
    expect(() => mapFile(fd, 100, 10)).toThrow(/multiple of the page size/);
    expect(() => mapFile(fd, 0, 0)).toThrow(/length > 0/);
    expect(() => mapFile(fd, 0, 4096, true)).not.toThrow();
    closeSync(fd);
    expect(() => mapFile(fd, 0, 4096)).toThrow(/mmap: Bad file descriptor/);
  });
});
