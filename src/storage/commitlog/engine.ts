// The RocketMQ-style engine: one commit log for every queue (commitlog.ts),
// a consume queue per queue pointing into it (consume-queue.ts), the queue
// set in a journal (queue-registry.ts), a checkpoint that bounds recovery
// (checkpoint.ts), and lookups by time (time-search.ts, time-marks.ts).
//
//   <dir>/commitlog/<20-digit position>                 entries of every queue
//   <dir>/consumequeue/<topic>/<partition>/<20 digits>  20-byte entries, one per offset
//   <dir>/consumequeue/<topic>/<partition>/timemarks    the queue's time index, saved by a clean close (time-marks.ts)
//   <dir>/queues  <dir>/checkpoint  <dir>/.clean-shutdown
//
// What a resolved append promises, per flush policy:
// - none: the entries are in the page cache and readable by every fetch; a
//   process crash loses nothing, a machine crash what was not written back.
// - interval: as none, with at most `intervalMs` of appends exposed to a
//   machine crash.
// - batch: the commit-log bytes were fdatasync'ed before the promise
//   resolved. The consume-queue entries are not awaited: they are derived,
//   and recovery rebuilds them from the log. They reach their files in
//   chunks (cq-dispatch.ts), and a group commit after that syncs them.
// A rejected append wrote nothing that a reader or recovery will see.
import { int64FromNumber } from '../../records/int64.js';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from '../errors.js';
import { defaultMaxOpenFiles, FilePool, filePoolStats } from '../file-pool.js';
import { awaitOrDetach, Flusher, type WrittenFile } from '../flush.js';
import type { SharedFile } from '../../transfer/shared-file.js';
import { prepareAppend } from '../prepare-append.js';
import { readStartOffset, writeStartOffset } from '../start-offset-file.js';
import { validateTopicPartition } from '../topic-names.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_RETENTION,
  tpKey,
  type AppendOptions,
  type AppendResult,
  type EngineLimits,
  type EngineOptions,
  type OffsetAndTimestamp,
  type ReadOptions,
  type ReadResult,
  type RetentionPolicy,
  type StorageEngine,
  type TopicPartition,
} from '../types.js';
import { appendEntries } from './append.js';
import { Checkpoint } from './checkpoint.js';
import { CommitLog, DEFAULT_COMMITLOG_FILE_BYTES } from './commitlog.js';
import { ConsumeQueue, DEFAULT_CQ_FILE_ENTRIES } from './consume-queue.js';
import { CqDispatch } from './cq-dispatch.js';
import { CQ_ENTRY_BYTES, tagsCodeAt } from './cq-entry.js';
import { correctHeads, recoverLog } from './open-log.js';
import { queueBatchBytes } from './queue-bytes.js';
import { QueueRegistry } from './queue-registry.js';
import { deleteExpiredFiles } from './retention.js';
import { newQueue, openQueues, QUEUE_ROOT, removeQueueDir, type Queue } from './queues.js';
import { newReadCounters, readBatches, verifyBatches } from './read-path.js';
import { TimeMarks } from './time-marks.js';
import { maxTimestamp, offsetForTime } from './time-search.js';

const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
/** Under flush=batch, the checkpoint moves on after this many synced bytes. */
const CHECKPOINT_STRIDE_BYTES = 1024 * 1024;

export interface CommitLogTuning {
  /** Entries per consume-queue file (tests use small ones to see files roll). */
  cqFileEntries?: number;
  /** When in-memory consume-queue entries are written (cq-dispatch.ts; tests use small ones). */
  cqTailEntries?: number;
  cqLagBytes?: number;
  cqMaxEntries?: number;
}

export class CommitLogEngine implements StorageEngine {
  readonly kind = 'commitlog';
  private readonly queues = new Map<string, Queue>();
  private readonly flusher: Flusher;
  private readonly limits: EngineLimits;
  private readonly retention: RetentionPolicy;
  private readonly fileBytes: number;
  private readonly cqFileEntries: number;
  private readonly now: () => number;
  private readonly log: (m: string) => void;
  private readonly counters = newReadCounters();
  private readonly forget = (path: string): void => this.flusher.forget(path);
  private readonly dispatch: CqDispatch;
  /** The consume-queue files, at most maxOpenFiles open at once (commit-log files stay open: commitlog.ts). */
  private readonly files: FilePool;
  private cl!: CommitLog;
  private registry!: QueueRegistry;
  private checkpoint!: Checkpoint;
  private opened = false;
  /** Consume-queue bytes read for tag codes (consumers filtering by tag). */
  private tagIndexBytes = 0;

  constructor(private readonly options: EngineOptions, tuning: CommitLogTuning = {}) {
    this.files = new FilePool(options.maxOpenFiles ?? defaultMaxOpenFiles());
    this.flusher = new Flusher(options.flush);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.fileBytes = options.segmentBytes ?? DEFAULT_COMMITLOG_FILE_BYTES;
    if (!(this.fileBytes >= 1024 && this.fileBytes <= 2 ** 31 - 1)) {
      throw new RangeError(`segmentBytes (commit-log file size) must be in [1 KiB, 2 GiB), got ${this.fileBytes}`);
    }
    this.cqFileEntries = tuning.cqFileEntries ?? DEFAULT_CQ_FILE_ENTRIES;
    if (!(Number.isInteger(this.cqFileEntries) && this.cqFileEntries >= 1)) throw new RangeError(`cqFileEntries must be >= 1, got ${this.cqFileEntries}`);
    this.dispatch = new CqDispatch(tuning.cqTailEntries, tuning.cqLagBytes, tuning.cqMaxEntries);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  async open(): Promise<void> {
    const dir = this.options.dir;
    mkdirSync(join(dir, 'commitlog'), { recursive: true });
    mkdirSync(join(dir, QUEUE_ROOT), { recursive: true });
    const marker = join(dir, CLEAN_SHUTDOWN_FILE);
    const clean = existsSync(marker);
    rmSync(marker, { force: true });
    this.registry = QueueRegistry.open(dir);
    this.checkpoint = Checkpoint.open(dir);
    this.cl = CommitLog.open(join(dir, 'commitlog'), this.fileBytes, this.forget);
    const { missing } = openQueues(dir, this.registry, this.cqFileEntries, this.forget, this.dispatch, this.files, this.queues);
    const recovered = recoverLog(this.cl, this.queues, { clean, missingQueue: missing, checkpoint: this.checkpoint.position }, this.log);
    if (recovered) {
      // Make the rebuilt state durable, so the checkpoint can say so. On a
      // full disk the tails may not fit: they stay in memory (readable), and
      // the checkpoint stays where it is.
      try {
        this.dispatch.spillAll([]);
      } catch {
        // the next flush or close tries again
      }
      for (const file of this.allFiles()) this.written(file);
      await this.flusher.flush();
      this.checkpoint.write(this.dispatch.safePosition(this.cl.end));
    }
    correctHeads(this.cl, this.queues);
    // Starts DeleteRecords moved inside a consume-queue file. One past the end
    // (a machine crash lost the tail it was set in) comes down to the end, so
    // offsets appended from here on do not fall below it.
    for (const q of this.queues.values()) {
      const start = readStartOffset(q.cq.dir);
      q.cq.dropHead(start);
      if (start > q.cq.nextOffset) writeStartOffset(q.cq.dir, q.cq.nextOffset);
    }
    // Time marks saved by a clean close hold only if nothing was recovered;
    // otherwise the first lookup by time builds them.
    if (!recovered) for (const q of this.queues.values()) q.marks = TimeMarks.load(q.cq.dir, q.cq.nextOffset);
    this.opened = true;
  }

  createPartition(tp: TopicPartition): void {
    this.assertOpen();
    validateTopicPartition(tp);
    if (this.queues.has(tpKey(tp))) return;
    if (this.queues.size >= this.limits.maxPartitions) {
      throw new StorageError('POLICY_VIOLATION', `partition limit reached (${this.limits.maxPartitions})`);
    }
    const epoch = this.registry.create(tp);
    void this.flusher.afterWrite(this.registry.syncFile)?.catch(() => undefined);
    const dir = removeQueueDir(this.options.dir, tp); // a new queue starts empty, whatever a crash left
    let cq: ConsumeQueue;
    try {
      cq = ConsumeQueue.open(dir, this.cqFileEntries, this.forget, this.dispatch, this.files).cq;
    } catch (err) {
      this.registry.delete(tp);
      const e = err as NodeJS.ErrnoException;
      throw new StorageError('KAFKA_STORAGE_ERROR', `creating consume queue ${dir} failed: ${e.code ?? e.message}`, { cause: err });
    }
    const q = newQueue(tp, epoch, cq);
    q.marks.startAt(0);
    this.queues.set(tpKey(tp), q);
  }

  async deletePartition(tp: TopicPartition): Promise<void> {
    const q = this.queues.get(tpKey(tp));
    if (!q) return;
    this.registry.delete(tp); // first: once it is recorded, recovery ignores the queue's entries
    void this.flusher.afterWrite(this.registry.syncFile)?.catch(() => undefined);
    q.cq.deleteAll();
    removeQueueDir(this.options.dir, tp);
    this.queues.delete(q.key);
  }

  partitions(): TopicPartition[] {
    return [...this.queues.values()].map((q) => q.tp);
  }

  private get(tp: TopicPartition): Queue {
    const q = this.queues.get(tpKey(tp));
    if (!q) throw new StorageError('UNKNOWN_TOPIC_OR_PARTITION', `no partition ${tpKey(tp)}`);
    return q;
  }

  async append(tp: TopicPartition, batches: Buffer, options?: AppendOptions): Promise<AppendResult> {
    const q = this.get(tp);
    const prepared = prepareAppend(batches, q.cq.nextOffset, this.limits.maxBatchBytes, options?.origin);
    const nowMs = this.now();
    const queueFds: SharedFile[] = [];
    let logFds: SharedFile[];
    try {
      logFds = appendEntries(this.cl, q, batches, prepared, nowMs, queueFds, options?.tagCodes);
    } catch (err) {
      // A full disk, most likely: write the tails while small writes may
      // still fit (a big batch failed), so a restart need not rebuild them.
      try {
        this.dispatch.spillAll(queueFds);
      } catch {
        // they stay in memory
      }
      for (const fd of queueFds) this.written(fd);
      throw err;
    }
    // Commit-log fds first: the first sync started covers the bytes the
    // acknowledgement needs; the consume queue's ride on the next one.
    let durable: Promise<void> | null = null;
    for (const fd of logFds) durable = this.flusher.afterWrite(fd) ?? durable;
    let derived: Promise<void> | null = null;
    for (const fd of queueFds) derived = this.flusher.afterWrite(fd) ?? derived;
    // A sync started from here on covers every consume-queue entry written
    // so far; those below `safe` are all written.
    const synced = derived ?? durable;
    if (synced) {
      const safe = this.dispatch.safePosition(this.cl.end);
      void synced.then(() => this.advanceCheckpoint(safe), () => undefined);
    }
    if (durable) await awaitOrDetach(durable, options);
    return {
      baseOffset: BigInt(prepared.batches[0]!.baseOffset),
      lastOffset: BigInt(prepared.lastOffset),
      logAppendTimeMs: BigInt(nowMs),
      logStartOffset: BigInt(q.cq.startOffset),
    };
  }

  /** After a sync that covered everything below `safe` (log and queues). */
  private advanceCheckpoint(safe: number): void {
    if (!this.opened) return;
    if (safe - (this.checkpoint.position ?? 0) >= CHECKPOINT_STRIDE_BYTES) this.checkpoint.write(safe);
  }

  /** Marks `file` for the flusher, not waiting for any sync it starts. */
  private written(file: WrittenFile): void {
    void this.flusher.afterWrite(file)?.catch(() => undefined);
  }

  /** Writes every consume-queue tail and marks its files for syncing (even if one fails). */
  private spillTails(): void {
    const fds: SharedFile[] = [];
    try {
      this.dispatch.spillAll(fds);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new StorageError('KAFKA_STORAGE_ERROR', `writing consume-queue entries failed: ${e.code ?? e.message}`, { cause: err });
    } finally {
      for (const fd of fds) this.written(fd);
    }
  }

  read(tp: TopicPartition, offset: bigint, maxBytes: number, options?: ReadOptions): ReadResult {
    const q = this.get(tp);
    const o = Number(offset);
    const start = q.cq.startOffset;
    const next = q.cq.nextOffset;
    if (o < start || o > next) {
      throw new StorageError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${start}, ${next}] of ${q.key}`);
    }
    const end = options?.maxOffset === undefined ? next : Math.min(next, Number(options.maxOffset));
    const regions = o >= end ? [] : readBatches(q.cq, this.cl, o, maxBytes, this.counters, end);
    if (options?.verify) verifyBatches(regions, this.cl, o, this.counters);
    else this.counters.commitLogReads += regions.length; // the transfer reads each region once
    for (const r of regions) r.file.hold();
    return { regions, bytes: regions.reduce((n, r) => n + r.length, 0), highWatermark: BigInt(next), logStartOffset: BigInt(start) };
  }

  /** Tag codes from the consume-queue entries: the first of the two reads only. */
  tagCodes(tp: TopicPartition, offset: bigint, count: number): BigInt64Array {
    const q = this.get(tp);
    const from = Number(offset);
    const n = from < q.cq.startOffset ? 0 : Math.max(0, Math.min(count, q.cq.nextOffset - from));
    const codes = new BigInt64Array(n);
    if (n === 0) return codes;
    const buf = q.cq.read(from, n, Buffer.allocUnsafe(n * CQ_ENTRY_BYTES));
    this.counters.consumeQueueReads++;
    this.tagIndexBytes += buf.length;
    for (let i = 0; i < n; i++) codes[i] = tagsCodeAt(buf, i * CQ_ENTRY_BYTES);
    return codes;
  }

  offsetForTime(tp: TopicPartition, timestampMs: bigint): OffsetAndTimestamp | null {
    const r = offsetForTime(this.get(tp), this.cl, Number(timestampMs), this.counters);
    return r === null ? null : { offset: BigInt(r.offset), timestamp: int64FromNumber(r.timestamp) };
  }

  maxTimestamp(tp: TopicPartition): bigint {
    return int64FromNumber(maxTimestamp(this.get(tp), this.cl, this.counters));
  }

  highWatermark(tp: TopicPartition): bigint {
    return BigInt(this.get(tp).cq.nextOffset);
  }

  logStartOffset(tp: TopicPartition): bigint {
    return BigInt(this.get(tp).cq.startOffset);
  }

  /**
   * DeleteRecords: the queue's start moves (saved in its directory first,
   * so it holds across restarts) and its consume-queue files wholly below
   * it go. The commit-log bytes stay until retention deletes their files:
   * they are shared with every other queue.
   */
  async deleteRecordsBefore(tp: TopicPartition, offset: bigint): Promise<bigint> {
    const q = this.get(tp);
    const next = q.cq.nextOffset;
    if (offset < 0n || offset > BigInt(next)) throw new StorageError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [0, ${next}] of ${q.key}`);
    const o = Number(offset);
    if (o > q.cq.startOffset) {
      writeStartOffset(q.cq.dir, o);
      q.cq.dropHead(o);
    }
    return BigInt(q.cq.startOffset);
  }

  partitionBytes(tp: TopicPartition): number {
    return queueBatchBytes(this.get(tp).cq, this.counters);
  }

  /** Whole commit-log files by time and size (retention.ts): the log is shared, so there is no per-partition policy. */
  readonly perPartitionRetention = false;

  async enforceRetention(): Promise<void> {
    deleteExpiredFiles(this.cl, this.queues, this.retention, this.now());
  }

  async flush(): Promise<void> {
    this.spillTails();
    const end = this.cl.end;
    await this.flusher.flush();
    this.checkpoint.write(end);
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    this.flusher.stop();
    let synced = false;
    try {
      this.spillTails();
      const end = this.cl.end;
      await this.flusher.flush();
      this.checkpoint.write(end, true);
      synced = true;
      for (const q of this.queues.values()) {
        try {
          q.marks.save(q.cq.dir);
        } catch {
          // derived: the first lookup by time after the next open builds them
        }
      }
    } finally {
      for (const q of this.queues.values()) q.cq.close();
      this.queues.clear();
      this.cl.close();
      this.flusher.forget(this.registry.syncFile.path);
      this.registry.close();
      this.checkpoint.close();
    }
    if (synced) writeFileSync(join(this.options.dir, CLEAN_SHUTDOWN_FILE), '');
  }

  stats(): Record<string, number> {
    return {
      partitions: this.queues.size,
      syncs: this.flusher.syncCount,
      consumeQueueReads: this.counters.consumeQueueReads,
      consumeQueueTailReads: this.counters.consumeQueueTailReads,
      commitLogReads: this.counters.commitLogReads,
      timeSearchProbes: this.counters.timeSearchProbes,
      commitLogFiles: this.cl?.files.length ?? 0,
      tagIndexBytes: this.tagIndexBytes,
      ...filePoolStats(this.files),
    };
  }

  /** Every file of the engine, open or closed by the pool (closed ones are synced by path). */
  private allFiles(): WrittenFile[] {
    return [...this.cl.sharedFiles(), ...[...this.queues.values()].flatMap((q) => q.cq.writtenFiles()), this.registry.syncFile];
  }

  private assertOpen(): void {
    if (!this.opened) throw new StorageError('KAFKA_STORAGE_ERROR', 'engine is not open');
  }
}
