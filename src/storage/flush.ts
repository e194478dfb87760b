// Flush policies, shared by the engines.
//
// GroupCommit turns many "make my write durable" requests into few fsyncs: a
// request that arrives while a sync runs cannot be covered by it (its bytes
// may have been written after the sync began), so it waits for the next one,
// which it shares with every other request that arrived meanwhile.
import { fdatasync } from 'node:fs';
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

/**
 * Tracks the files written since their last sync and applies the policy:
 * afterWrite() is what an append awaits before it resolves.
 */
export class Flusher {
  private readonly dirty = new Set<number>();
  private readonly group = new GroupCommit(() => this.syncDirty());
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly policy: FlushPolicy) {
    if (policy.kind === 'interval') {
      if (!(policy.intervalMs >= 1)) throw new RangeError(`flush interval must be >= 1 ms, got ${policy.intervalMs}`);
      this.timer = setInterval(() => void this.group.sync().catch(() => undefined), policy.intervalMs);
      this.timer.unref();
    }
  }

  /** Marks `fd` written; resolves when the policy considers the write done. */
  afterWrite(fd: number): Promise<void> | null {
    this.dirty.add(fd);
    return this.policy.kind === 'batch' ? this.group.sync() : null;
  }

  /** Forget a file about to be closed (after it has been synced). */
  forget(fd: number): void {
    this.dirty.delete(fd);
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
    const fds = [...this.dirty];
    this.dirty.clear();
    try {
      await Promise.all(fds.map(fdatasyncAsync));
    } catch (err) {
      for (const fd of fds) this.dirty.add(fd);
      throw err;
    }
  }
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
