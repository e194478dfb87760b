// An open log file that the regions handed out for sending keep open.
//
// A region waiting to be sent (queued behind a slow reader, or behind a
// long-poll fetch on the same connection) must still name the file it was
// read from when its turn comes. An fd number cannot promise that: once the
// file is closed (DeleteTopics, retention) the kernel gives the number to the
// next file opened, and the waiting response would go out with that file's
// bytes. So every region holds a reference (a lease) on its file, as
// RocketMQ's ReferenceResource hold()/release() does for a MappedFile: the
// owner (a segment, a commit-log file) removes the file's name at once and
// lets go of its own reference; the fd is closed when the last region
// carrying it has been sent or has failed.
import { closeSync } from 'node:fs';
import { native } from '../native/addon.js';
import type { FileRegion } from './types.js';

let openFiles = 0;
let leases = 0;

export class SharedFile {
  /** The owner's reference plus one per lease. */
  private refs = 1;

  constructor(
    readonly fd: number,
    /** For error messages. */
    readonly path: string,
  ) {
    openFiles++;
  }

  /** False once the owner and every lease have let go: the fd is closed. */
  get open(): boolean {
    return this.refs > 0;
  }

  /** Takes a lease: the fd stays open until it is released. */
  hold(): void {
    if (this.refs <= 0) throw new Error(`${this.path} is closed: no new region can be read from it`);
    this.refs++;
    leases++;
  }

  /** Gives back a lease. */
  release(): void {
    this.drop();
    leases--;
  }

  /** The owner lets go (close, delete): the fd closes now if no region holds it. */
  close(): void {
    this.drop();
  }

  private drop(): void {
    if (this.refs <= 0) throw new Error(`${this.path} released more often than held`);
    if (--this.refs > 0) return;
    openFiles--;
    // The mmap strategy keeps windows by (device, inode); drop them with the
    // file so a deleted file's disk space is freed now.
    native.mapCacheForget(this.fd);
    closeSync(this.fd);
  }
}

/** A region's lease on its file. */
export function holdRegion(region: FileRegion): FileRegion {
  region.file.hold();
  return region;
}

/** Gives back the leases of regions no longer to be sent. */
export function releaseRegions(regions: readonly FileRegion[]): void {
  for (const r of regions) r.file.release();
}

/** Files still open and leases not yet given back (for tests and /metrics). */
export function sharedFileStats(): { openFiles: number; leases: number } {
  return { openFiles, leases };
}
