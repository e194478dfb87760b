// The Kafka-style engine: per partition, a directory of segment files.
//
// What a resolved append promises, per flush policy:
// - none: the batches are in the page cache and readable by every fetch; a
//   process crash loses nothing (the kernel holds the pages), a machine
//   crash can lose what the kernel had not yet written back.
// - interval: as none, and at most `intervalMs` of appends are exposed to a
//   machine crash.
// - batch: the batches were fdatasync'ed to disk before the promise resolved.
// A rejected append wrote nothing that a reader or recovery will see.
import { int64FromNumber } from '../../records/int64.js';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from '../errors.js';
import { defaultMaxOpenFiles, FilePool, filePoolStats } from '../file-pool.js';
import { awaitOrDetach, Flusher } from '../flush.js';
import { syncDirectory } from '../sync-dir.js';
import { prepareAppend } from '../prepare-append.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_RETENTION,
  tpKey,
  type AppendOptions,
  type AppendResult,
  type CleanerSettings,
  type CompactionPolicy,
  type LogCleanerControl,
  type RollPolicy,
  type EngineLimits,
  type EngineOptions,
  type OffsetAndTimestamp,
  type ReadOptions,
  type ReadResult,
  type RetentionPolicy,
  type StorageEngine,
  type TopicPartition,
} from '../types.js';
import { validateTopicPartition } from '../topic-names.js';
import { LogCleaner } from './cleaner/cleaner.js';
import { PartitionLog } from './partition-log.js';

const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
export const DEFAULT_SEGMENT_BYTES = 1024 * 1024 * 1024;

export class SegmentedEngine implements StorageEngine {
  readonly kind = 'segmented';
  private readonly logs = new Map<string, { tp: TopicPartition; log: PartitionLog }>();
  private readonly flusher: Flusher;
  private readonly limits: EngineLimits;
  private readonly retention: RetentionPolicy;
  private readonly segmentBytes: number;
  private readonly now: () => number;
  private readonly log: (m: string) => void;
  private clean = false;
  private opened = false;
  /** Bytes of segment tag indexes read (consumers filtering by tag). */
  private tagIndexBytes = 0;
  private cleaner: LogCleaner | null = null;
  /** Every segment file this engine opens, at most maxOpenFiles at once. */
  private readonly files: FilePool;

  constructor(private readonly options: EngineOptions) {
    this.files = new FilePool(options.maxOpenFiles ?? defaultMaxOpenFiles());
    this.flusher = new Flusher(options.flush);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!(this.segmentBytes >= 1024 && this.segmentBytes <= 2 ** 31 - 1)) {
      throw new RangeError(`segmentBytes must be in [1 KiB, 2 GiB), got ${this.segmentBytes}`);
    }
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  async open(): Promise<void> {
    mkdirSync(this.options.dir, { recursive: true });
    const marker = join(this.options.dir, CLEAN_SHUTDOWN_FILE);
    this.clean = existsSync(marker);
    rmSync(marker, { force: true });
    // Opening trusts every segment when the marker is there: its removal
    // must reach the disk before anything appended from now on, or a power
    // cut could bring it back over a torn tail (found by the power-loss test
    // under strict POSIX metadata rules; ext4 and xfs order it anyway).
    if (this.clean) syncDirectory(this.options.dir);
    for (const name of readdirSync(this.options.dir, { withFileTypes: true })) {
      const m = /^(.+)-(\d+)$/.exec(name.name);
      if (!name.isDirectory() || !m) continue;
      this.openLog({ topic: m[1]!, partition: Number(m[2]) });
    }
    this.opened = true;
  }

  private openLog(tp: TopicPartition): PartitionLog {
    const log = PartitionLog.open(join(this.options.dir, tpKey(tp)), this.segmentBytes, this.clean, this.now(), this.log, this.files);
    this.logs.set(tpKey(tp), { tp, log });
    return log;
  }

  createPartition(tp: TopicPartition): void {
    this.assertOpen();
    validateTopicPartition(tp);
    if (this.logs.has(tpKey(tp))) return;
    if (this.logs.size >= this.limits.maxPartitions) {
      throw new StorageError('POLICY_VIOLATION', `partition limit reached (${this.limits.maxPartitions})`);
    }
    this.openLog(tp);
  }

  async deletePartition(tp: TopicPartition): Promise<void> {
    const entry = this.logs.get(tpKey(tp));
    if (!entry) return;
    for (const path of entry.log.logPaths()) this.flusher.forget(path);
    entry.log.deleteAll();
    this.logs.delete(tpKey(tp));
  }

  partitions(): TopicPartition[] {
    return [...this.logs.values()].map((e) => e.tp);
  }

  private get(tp: TopicPartition): PartitionLog {
    const e = this.logs.get(tpKey(tp));
    if (!e) throw new StorageError('UNKNOWN_TOPIC_OR_PARTITION', `no partition ${tpKey(tp)}`);
    return e.log;
  }

  async append(tp: TopicPartition, batches: Buffer, options?: AppendOptions): Promise<AppendResult> {
    const log = this.get(tp);
    const prepared = prepareAppend(batches, log.nextOffset, this.limits.maxBatchBytes, options?.origin);
    const nowMs = this.now();
    const file = log.append(batches, prepared, nowMs, options?.tagCodes);
    const durable = this.flusher.afterWrite(file);
    if (durable) await awaitOrDetach(durable, options);
    return {
      baseOffset: BigInt(prepared.batches[0]!.baseOffset),
      lastOffset: BigInt(prepared.lastOffset),
      logAppendTimeMs: BigInt(nowMs),
      logStartOffset: BigInt(log.logStartOffset),
    };
  }

  read(tp: TopicPartition, offset: bigint, maxBytes: number, options?: ReadOptions): ReadResult {
    const log = this.get(tp);
    const regions = log.read(Number(offset), maxBytes, options?.verify ?? false, options?.maxOffset === undefined ? undefined : Number(options.maxOffset));
    for (const r of regions) r.file.hold();
    return {
      regions,
      bytes: regions.reduce((n, r) => n + r.length, 0),
      highWatermark: BigInt(log.nextOffset),
      logStartOffset: BigInt(log.logStartOffset),
    };
  }

  tagCodes(tp: TopicPartition, offset: bigint, count: number): BigInt64Array {
    const r = this.get(tp).tagCodes(Number(offset), count);
    this.tagIndexBytes += r.bytes;
    return r.codes;
  }

  offsetForTime(tp: TopicPartition, timestampMs: bigint): OffsetAndTimestamp | null {
    const r = this.get(tp).offsetForTime(Number(timestampMs));
    return r === null ? null : { offset: BigInt(r.offset), timestamp: int64FromNumber(r.timestamp) };
  }

  maxTimestamp(tp: TopicPartition): bigint {
    return int64FromNumber(this.get(tp).maxTimestamp);
  }

  highWatermark(tp: TopicPartition): bigint {
    return BigInt(this.get(tp).nextOffset);
  }

  logStartOffset(tp: TopicPartition): bigint {
    return BigInt(this.get(tp).logStartOffset);
  }

  async deleteRecordsBefore(tp: TopicPartition, offset: bigint): Promise<bigint> {
    const log = this.get(tp);
    if (offset < 0n || offset > BigInt(log.nextOffset)) {
      throw new StorageError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [0, ${log.nextOffset}] of ${tpKey(tp)}`);
    }
    const before = log.logPaths();
    log.advanceStart(Number(offset));
    this.forgetDeleted(before, log);
    return BigInt(log.logStartOffset);
  }

  partitionBytes(tp: TopicPartition): number {
    return this.get(tp).sizeBytes;
  }

  readonly perPartitionRetention = true;

  async enforceRetention(policyFor?: (tp: TopicPartition) => RetentionPolicy): Promise<void> {
    const nowMs = this.now();
    for (const { tp, log } of this.logs.values()) {
      const before = log.logPaths();
      log.enforceRetention(policyFor?.(tp) ?? this.retention, nowMs);
      this.forgetDeleted(before, log);
    }
  }

  /** Tells the flusher of segments deleted since `before` was taken. */
  private forgetDeleted(before: readonly string[], log: PartitionLog): void {
    const after = new Set(log.logPaths());
    for (const path of before) if (!after.has(path)) this.flusher.forget(path);
  }

  startCleaner(settings: CleanerSettings, policyFor: (tp: TopicPartition) => CompactionPolicy | null): LogCleanerControl {
    this.assertOpen();
    if (this.cleaner) throw new Error('the log cleaner is already started');
    const cleaner = new LogCleaner(
      {
        logs: () => this.logs.values(),
        isCurrent: (tp, log) => this.opened && this.logs.get(tpKey(tp))?.log === log,
        retired: (paths) => {
          for (const path of paths) this.flusher.forget(path);
        },
        now: this.now,
        log: this.log,
      },
      settings,
      policyFor,
    );
    this.cleaner = cleaner;
    cleaner.start();
    return cleaner;
  }

  setRollPolicy(tp: TopicPartition, policy: RollPolicy): void {
    this.get(tp).setRollPolicy(policy);
  }

  async flush(): Promise<void> {
    for (const { log } of this.logs.values()) log.persistIndexes();
    await this.flusher.flush();
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    // The cleaner first: a cleaning under way is abandoned, its files removed.
    await this.cleaner?.stop();
    this.cleaner = null;
    this.flusher.stop();
    await this.flusher.flush();
    for (const { log } of this.logs.values()) log.close();
    this.logs.clear();
    writeFileSync(join(this.options.dir, CLEAN_SHUTDOWN_FILE), '');
    this.opened = false;
  }

  stats(): Record<string, number> {
    let headerReads = 0;
    let timeReads = 0;
    for (const { log } of this.logs.values()) {
      headerReads += log.headerReads();
      timeReads += log.timeLookupReads();
    }
    const cleaner = Object.fromEntries(Object.entries(this.cleaner?.stats() ?? {}).map(([k, v]) => [`cleaner.${k}`, v]));
    return { partitions: this.logs.size, syncs: this.flusher.syncCount, indexScanReads: headerReads, timeLookupReads: timeReads, tagIndexBytes: this.tagIndexBytes, ...filePoolStats(this.files), ...cleaner };
  }

  private assertOpen(): void {
    if (!this.opened) throw new StorageError('KAFKA_STORAGE_ERROR', 'engine is not open');
  }
}
