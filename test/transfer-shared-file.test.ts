// A shared file's fd closes when the owner and the last lease have let go,
// not before; a lease after that, or a release too many, is a clear error.
import { existsSync, openSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { holdRegion, releaseRegions, SharedFile, sharedFileStats } from '../src/transfer/index.js';
import { tempDir } from './helpers/files.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** What the process's fd names now, or null if it is closed. */
function target(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

function sharedFile(name: string): SharedFile {
  const path = join(tmp.dir, name);
  writeFileSync(path, name);
  return new SharedFile(openSync(path, 'r'), path);
}

describe('SharedFile', () => {
  it('closes at once when nothing holds it', () => {
    const f = sharedFile('alone.log');
    expect(target(f.fd)).toContain('alone.log');
    f.close();
    expect(f.open).toBe(false);
    expect(target(f.fd)).toBeNull();
  });

  it('keeps a deleted file open until the last lease is released', () => {
    const f = sharedFile('leased.log');
    const before = sharedFileStats();
    const a = holdRegion({ file: f, position: 0, length: 1 });
    const b = holdRegion({ file: f, position: 1, length: 1 });
    expect(sharedFileStats().leases).toBe(before.leases + 2);
    rmSync(f.path);
    f.close(); // the owner lets go: the name is gone, the fd stays
    expect(existsSync(f.path)).toBe(false);
    expect(f.open).toBe(true);
    expect(target(f.fd)).toContain('leased.log (deleted)');
    releaseRegions([a]);
    expect(f.open).toBe(true);
    releaseRegions([b]);
    expect(f.open).toBe(false);
    expect(target(f.fd)).toBeNull();
    expect(sharedFileStats()).toEqual({ openFiles: before.openFiles - 1, leases: before.leases });
  });

  it('refuses a lease on a closed file and a release too many', () => {
    const f = sharedFile('closed.log');
    f.close();
    expect(() => f.hold()).toThrow(/closed\.log is closed/);
    expect(() => f.close()).toThrow(/released more often than held/);
  });
});
