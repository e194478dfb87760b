// Flush policies, shared by the engines.
//
// GroupCommit turns many "make my write durable" requests into few fsyncs: a
// request that arrives while a sync runs cannot be covered by it (its bytes
// may have been written after the sync began), so it waits for the next one,
// which it shares with every other request that arrived meanwhile.
import { close, fdatasync, open } from 'node:fs';
import type { SharedFile } from '../transfer/shared-file.js';
import { StorageError } from './errors.js';
import type { FlushPolicy } from './types.js';

export class GroupCommit {
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private syncs = 0;

  constructor(private readonly syncAll: () => Promise<void>) {}

  /** Resolves once everything written before this call is on disk. */
  sync(): Promise<void> {
    if (this.inFlight === null) return this.start();
    if (this.queued === null) {
      this.queued = this.inFlight
        .catch(() => undefined)
        .then(() => {
          this.queued = null;
          return this.start();
        });
    }
    return this.queued;
  }

  /** Syncs that completed: what an acknowledgement under flush=batch waited for. */
  get count(): number {
    return this.syncs;
  }

  private start(): Promise<void> {
    const p = this.syncAll().then(() => {
      this.syncs++;
    }).finally(() => {
      if (this.inFlight === p) this.inFlight = null;
    });
    this.inFlight = p;
    return p;
  }
}

export function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fdatasync(fd, (err) => (err ? reject(new StorageError('KAFKA_STORAGE_ERROR', `fdatasync failed: ${err.message}`, { cause: err })) : resolve())),
  );
}

/** Files synced by path at once, at most: each holds an fd for its open, fdatasync and close. */
const PATH_SYNCS_AT_ONCE = 4;

/**
 * A file written and not yet synced: the SharedFile it was written through,
 * or its path alone once it is known to be closed.
 */
export type WrittenFile = SharedFile | string;

/**
 * Tracks the files written since their last sync and applies the policy:
 * afterWrite() is what an append awaits before it resolves.
 *
 * Files are tracked by path, not fd: the engine's file pool (file-pool.ts)
 * may close a written file before it is synced, and the kernel then gives
 * its fd number to the next file opened. A file still open is synced
 * through its fd, with a lease held so the pool cannot close it under the
 * fdatasync; one closed meanwhile is opened again by path for the sync
 * (fdatasync covers the inode's dirty pages whichever fd wrote them). A path
 * gone by then (deleted: retention, a deleted partition) needs no sync.
 */
export class Flusher {
  private readonly dirty = new Map<string, WrittenFile>();
  private readonly group = new GroupCommit(() => this.syncDirty());
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly policy: FlushPolicy) {
    if (policy.kind === 'interval') {
      if (!(policy.intervalMs >= 1)) throw new RangeError(`flush interval must be >= 1 ms, got ${policy.intervalMs}`);
      this.timer = setInterval(() => void this.group.sync().catch(() => undefined), policy.intervalMs);
      this.timer.unref();
    }
  }

  /** Marks `file` written; resolves when the policy considers the write done. */
  afterWrite(file: WrittenFile): Promise<void> | null {
    this.dirty.set(pathOf(file), file);
    return this.policy.kind === 'batch' ? this.group.sync() : null;
  }

  /** Forget a file about to be deleted (or closed after it has been synced). */
  forget(path: string): void {
    this.dirty.delete(path);
  }

  /** Syncs everything written so far, whatever the policy. */
  flush(): Promise<void> {
    return this.group.sync();
  }

  get syncCount(): number {
    return this.group.count;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async syncDirty(): Promise<void> {
    const files = [...this.dirty.values()];
    this.dirty.clear();
    const open: SharedFile[] = [];
    const closed: string[] = [];
    for (const f of files) {
      if (typeof f !== 'string' && f.open) {
        f.hold();
        open.push(f);
      } else closed.push(pathOf(f));
    }
    try {
      await Promise.all([...open.map((f) => fdatasyncAsync(f.fd).finally(() => f.release())), syncPaths(closed)]);
    } catch (err) {
      // Written again since, the newer entry stands.
      for (const f of files) if (!this.dirty.has(pathOf(f))) this.dirty.set(pathOf(f), f);
      throw err;
    }
  }
}

function pathOf(f: WrittenFile): string {
  return typeof f === 'string' ? f : f.path;
}

/** Syncs closed files by path, a few at a time (each open takes an fd). */
async function syncPaths(paths: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) await syncPath(paths[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PATH_SYNCS_AT_ONCE, paths.length) }, worker));
}

function syncPath(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    open(path, 'r', (err, fd) => {
      if (err) {
        if (err.code === 'ENOENT') resolve(); // deleted since it was written: nothing to keep
        else reject(new StorageError('KAFKA_STORAGE_ERROR', `opening ${path} to sync it failed: ${err.message}`, { cause: err }));
        return;
      }
      fdatasync(fd, (syncErr) =>
        close(fd, () => (syncErr ? reject(new StorageError('KAFKA_STORAGE_ERROR', `fdatasync of ${path} failed: ${syncErr.message}`, { cause: syncErr })) : resolve())),
      );
    });
  });
}

/**
 * Awaits a flush unless the caller asked not to (acks=1): then the flush
 * goes on alone and this caller never hears how it went, as a Kafka
 * producer with acks=1 does not.
 */
export async function awaitOrDetach(durable: Promise<void>, options?: { awaitFlush?: boolean }): Promise<void> {
  if (options?.awaitFlush === false) {
    durable.catch(() => undefined);
    return;
  }
  await durable;
}
