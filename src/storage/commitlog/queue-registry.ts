// Which queues exist, and which incarnation ("epoch") of each: the engine's
// truth about the queue set, kept in file names.
//
// Consume queues are derived data and the commit log keeps a deleted
// queue's entries until retention deletes their files, so neither can say
// whether a queue still exists: recovery would bring a deleted queue back,
// and a queue created again under the same name (offsets from 0 again) would
// pick up its predecessor's entries. So every entry carries its queue's
// epoch, a number never handed out twice in a directory, and recovery
// indexes only entries whose epoch is the live one here:
//
//   <dir>/queues/<topic>-<partition>.<epoch>   empty file: the queue exists
//   <dir>/queues/~epoch.<n>                    empty file: n is the last epoch handed out
//
// ('~' is not legal in a topic name, so the two cannot be confused.)
// Names rather than a journal of records: a create is a rename and a file
// creation, a delete an unlink, each atomic, with nothing to tear, check or
// compact, and none needs a data block, so queues can be created on a full
// disk like the segmented engine's (and the disk-full test runs on one).
// The directory is handed to the flusher like a data file: under
// flush=batch its entries are synced with the next append's group commit, so
// a queue is durable before anything appended to it is acknowledged.
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SharedFile } from '../../transfer/shared-file.js';
import { StorageError } from '../errors.js';
import { tpKey, type TopicPartition } from '../types.js';

const QUEUE_NAME = /^(.+)-(\d+)\.(\d+)$/;
const EPOCH_NAME = /^~epoch\.(\d+)$/;

export interface LiveQueue {
  tp: TopicPartition;
  epoch: number;
}

export class QueueRegistry {
  readonly live = new Map<string, LiveQueue>();
  private lastEpoch = 0;
  /** The directory, open for the flusher to sync its entries (a SharedFile: the flusher holds what it syncs). */
  private dirFile: SharedFile | null = null;

  private constructor(private readonly dir: string) {}

  static open(engineDir: string): QueueRegistry {
    const r = new QueueRegistry(join(engineDir, 'queues'));
    mkdirSync(r.dir, { recursive: true });
    const counters: number[] = [];
    for (const name of readdirSync(r.dir)) {
      const q = QUEUE_NAME.exec(name);
      const c = EPOCH_NAME.exec(name);
      if (q) {
        const tp = { topic: q[1]!, partition: Number(q[2]) };
        const epoch = Number(q[3]);
        const old = r.live.get(tpKey(tp));
        // Two epochs of one queue: a crash between create and delete cannot
        // leave that, but if it is there, the newer one is the queue.
        if (old) rmSync(join(r.dir, fileName(old.tp, Math.min(old.epoch, epoch))), { force: true });
        if (!old || epoch > old.epoch) r.live.set(tpKey(tp), { tp, epoch });
        r.lastEpoch = Math.max(r.lastEpoch, epoch);
      } else if (c) {
        counters.push(Number(c[1]));
      }
    }
    r.lastEpoch = Math.max(r.lastEpoch, ...counters);
    // Keep one counter file, at the highest epoch.
    for (const n of counters) if (n !== r.lastEpoch) rmSync(join(r.dir, `~epoch.${n}`), { force: true });
    if (!counters.includes(r.lastEpoch)) closeSync(openSync(join(r.dir, `~epoch.${r.lastEpoch}`), 'w'));
    r.dirFile = new SharedFile(openSync(r.dir, 'r'), r.dir);
    return r;
  }

  /** The directory, for the flusher to sync its entries. */
  get syncFile(): SharedFile {
    if (this.dirFile === null) throw new Error(`${this.dir} is closed`);
    return this.dirFile;
  }

  epochOf(tp: TopicPartition): number | undefined {
    return this.live.get(tpKey(tp))?.epoch;
  }

  /** Records a new queue; returns its epoch. */
  create(tp: TopicPartition): number {
    const epoch = this.lastEpoch + 1;
    this.fs(`recording queue ${tpKey(tp)}`, () => {
      // The counter first: a crash after it skips an epoch, never reuses one.
      renameSync(join(this.dir, `~epoch.${this.lastEpoch}`), join(this.dir, `~epoch.${epoch}`));
      this.lastEpoch = epoch;
      closeSync(openSync(join(this.dir, fileName(tp, epoch)), 'wx'));
    });
    this.live.set(tpKey(tp), { tp, epoch });
    return epoch;
  }

  delete(tp: TopicPartition): void {
    const q = this.live.get(tpKey(tp));
    if (!q) return;
    this.fs(`deleting queue ${tpKey(tp)}`, () => rmSync(join(this.dir, fileName(tp, q.epoch))));
    this.live.delete(tpKey(tp));
  }

  private fs(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new StorageError('KAFKA_STORAGE_ERROR', `${what} in ${this.dir} failed: ${e.code ?? e.message}`, { cause: err });
    }
  }

  close(): void {
    this.dirFile?.close();
    this.dirFile = null;
  }
}

function fileName(tp: TopicPartition, epoch: number): string {
  return `${tp.topic}-${tp.partition}.${epoch}`;
}
