// The seam every storage engine implements, and the conformance suite
// (test/storage-conformance.test.ts) checks.
import type { FileRegion } from '../transfer/types.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/**
 * When appended bytes are forced to disk.
 * - none: never by us; the page cache writes back (Kafka's default).
 * - interval: every `intervalMs`, all dirty files.
 * - batch: before an append's promise resolves; appends that arrive while a
 *   sync runs share the next one (group commit).
 */
export type FlushPolicy = { kind: 'none' } | { kind: 'interval'; intervalMs: number } | { kind: 'batch' };

export interface EngineLimits {
  /** Largest single record batch accepted (Kafka's message.max.bytes). */
  maxBatchBytes: number;
  /** Most partitions the engine will hold. */
  maxPartitions: number;
}

export interface RetentionPolicy {
  /** Per partition; -1 keeps everything (Kafka's retention.bytes). */
  retentionBytes: number;
  /** Age of a segment's newest record past which it goes; -1 keeps all. */
  retentionMs: number;
}

export interface EngineOptions {
  dir: string;
  flush: FlushPolicy;
  limits?: Partial<EngineLimits>;
  retention?: Partial<RetentionPolicy>;
  /** Segmented: bytes per segment file; commitlog: bytes per commit-log file. */
  segmentBytes?: number;
  /** Injected clock for store timestamps and retention by time (ms). */
  now?: () => number;
  /** Where recovery reports what it found (default: silent). */
  log?: (message: string) => void;
  /**
   * Files the engine keeps open at most (segments' logs and indexes,
   * consume-queue files); the least recently used is closed when one more
   * must open, and opened again when next used (file-pool.ts). At least
   * MIN_OPEN_FILES; default: half the process's open-file limit.
   */
  maxOpenFiles?: number;
}

export interface AppendResult {
  /** Offset given to the first record of the first batch. */
  baseOffset: bigint;
  /** Offset of the last record of the last batch. */
  lastOffset: bigint;
  /** When the broker stored the batches (ms since the epoch). */
  logAppendTimeMs: bigint;
  /** The log start offset after the append. */
  logStartOffset: bigint;
}

export interface ReadResult {
  /** Whole batches, in offset order; the first may start before `offset`. */
  regions: FileRegion[];
  /** Total bytes in `regions`. */
  bytes: number;
  /** The offset the next append will get (Kafka's high watermark; no replicas). */
  highWatermark: bigint;
  logStartOffset: bigint;
}

/** A record found by time: its offset and its own timestamp (ms). */
export interface OffsetAndTimestamp {
  offset: bigint;
  timestamp: bigint;
}

export interface ReadOptions {
  /**
   * Read the batches and check their CRCs before returning them (costs a
   * copy and a CRC pass, so the plain fetch path leaves it off). A corrupt
   * batch throws StorageError CORRUPT_MESSAGE instead of being served.
   */
  verify?: boolean;
  /**
   * Read no batch whose base offset is at or past this offset (a
   * read_committed fetch stops at the last stable offset, which always
   * lies on a batch boundary). Absent: up to the high watermark.
   */
  maxOffset?: bigint;
}

export interface AppendOptions {
  /**
   * Wait for the flush policy's durability point before resolving (the
   * default; Kafka's acks=-1). False resolves once the bytes are written
   * and readable (acks=1); the flush still happens as the policy says.
   */
  awaitFlush?: boolean;
  /**
   * A tag code per offset of the append, in order (RocketMQ's tagsCode:
   * tag-code.ts), for the engine's tag index; 0 is "not known". Absent for
   * appends nobody filters by tag (plain Kafka topics stay zero-parse).
   */
  tagCodes?: BigInt64Array;
  /**
   * Who wrote the batches: 'client' (the default) is checked as Kafka checks
   * a producer's; 'broker' also allows what only a broker writes (the
   * control batches of transaction markers); 'internal' is the broker's own
   * records built from its state (the pop journal's), whose headers alone
   * are read (prepare-append.ts).
   */
  origin?: AppendOrigin;
}

export type AppendOrigin = 'client' | 'broker' | 'internal';

export interface StorageEngine {
  readonly kind: string;
  /** Opens the directory, recovering whatever a crash left. */
  open(): Promise<void>;
  /** Creates the partition if it does not exist. */
  createPartition(tp: TopicPartition): void;
  deletePartition(tp: TopicPartition): Promise<void>;
  partitions(): TopicPartition[];
  /**
   * Appends one or more record batches (v2, as on the wire). Checks each
   * batch's header and CRC first, assigns offsets by writing each base
   * offset in place (outside the CRC), and resolves per the flush policy
   * (or, with awaitFlush false, once written).
   */
  append(tp: TopicPartition, batches: Buffer, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Batches from the one holding `offset`, up to `maxBytes` (at least one
   * whole batch, however large, so a consumer always progresses). An offset
   * equal to the high watermark gives no regions; outside
   * [logStartOffset, highWatermark] throws OFFSET_OUT_OF_RANGE.
   */
  read(tp: TopicPartition, offset: bigint, maxBytes: number, options?: ReadOptions): ReadResult;
  /**
   * ListOffsets by time: the first record, in offset order, whose timestamp
   * is >= `timestampMs` (its own timestamp: log-append time for batches
   * stamped so, else create time), or null if no record is that late. As
   * Kafka's, the search trusts each batch's maxTimestamp to pass over the
   * batches before the answer; batches' maxTimestamps need not rise.
   */
  offsetForTime(tp: TopicPartition, timestampMs: bigint): OffsetAndTimestamp | null;
  /**
   * The largest batch maxTimestamp among the batches the partition holds
   * (retention's deletions left out), or -1 if it holds none: with
   * offsetForTime, ListOffsets MAX_TIMESTAMP (the first record stamped so).
   */
  maxTimestamp(tp: TopicPartition): bigint;
  highWatermark(tp: TopicPartition): bigint;
  logStartOffset(tp: TopicPartition): bigint;
  /**
   * Moves the log start offset forward to `offset` (Kafka's DeleteRecords),
   * durably before resolving: reads below it fail with OFFSET_OUT_OF_RANGE
   * from then on, restarts included. Files wholly below it are deleted; the
   * rest of the one holding it stays, unreadable. An offset at or below the
   * current start changes nothing; above the high watermark throws
   * OFFSET_OUT_OF_RANGE. Resolves to the start offset after.
   */
  deleteRecordsBefore(tp: TopicPartition, offset: bigint): Promise<bigint>;
  /**
   * Bytes of the partition's batches from the log start (DescribeLogDirs).
   * Segmented: its segment files' sizes, the one holding the start whole.
   * Commitlog: its batches in the shared log, summed from its consume
   * queue (reads 20 bytes per offset: a cost that grows with the partition).
   */
  partitionBytes(tp: TopicPartition): number;
  /**
   * Deletes what the retention policy says has expired. `policyFor` gives a
   * partition's own policy (topic configs) where the engine keeps data per
   * partition; an engine with one shared log (commitlog) applies its
   * engine-wide policy and reports perPartitionRetention false.
   */
  enforceRetention(policyFor?: (tp: TopicPartition) => RetentionPolicy): Promise<void>;
  /** True if enforceRetention honours a policy per partition. */
  readonly perPartitionRetention: boolean;
  /** Forces everything appended so far to disk. */
  flush(): Promise<void>;
  /** Flushes, closes files, and marks a clean shutdown. */
  close(): Promise<void>;
  /** Counters for the benchmark: reads of each kind the engine did. */
  stats(): Record<string, number>;
  /**
   * Tag codes of up to `count` offsets from `offset` (fewer at the high
   * watermark), from the tag index, without reading the log: 0 where none
   * was given or it is lost (a recovery rebuilt the index). Readers must
   * treat 0 as "read the record to know".
   */
  tagCodes?(tp: TopicPartition, offset: bigint, count: number): BigInt64Array;
  /**
   * Starts the log cleaner (cleanup.policy=compact): absent on an engine
   * that cannot compact (the commit log, one log shared by every topic).
   * `policyFor` gives a partition's compaction settings, or null for a
   * partition that is not compacted; it is asked at every pass.
   */
  startCleaner?(settings: CleanerSettings, policyFor: (tp: TopicPartition) => CompactionPolicy | null): LogCleanerControl;
  /** Per-partition roll settings (topic configs segment.bytes, segment.ms); absent where files are shared. */
  setRollPolicy?(tp: TopicPartition, policy: RollPolicy): void;
}

/** When a partition's active segment rolls, beyond the engine's segmentBytes. */
export interface RollPolicy {
  /** Bytes per segment for this partition (null: the engine's). */
  segmentBytes: number | null;
  /** Roll an active segment opened this long ago (ms; null: never by time). */
  segmentMs: number | null;
}

/** A compacted partition's settings (Kafka's topic configs of the same names). */
export interface CompactionPolicy {
  /** compact,delete: retention also applies; compact alone: it does not (the broker passes -1s). */
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  /** Clean a dirty section older than this whatever its ratio; -1: never forced. */
  maxCompactionLagMs: number;
}

/** The cleaner's broker-wide settings (log.cleaner.*). */
export interface CleanerSettings {
  /** Bytes read plus written per second, at most (log.cleaner.io.max.bytes.per.second); <= 0: no limit. */
  ioBytesPerSecond: number;
  /** Wait between passes that found nothing to clean (log.cleaner.backoff.ms). */
  backoffMs: number;
  /** Memory of the key -> offset map (log.cleaner.dedupe.buffer.size): 24 bytes an entry. */
  dedupeBufferBytes: number;
}

/** What one cleaning of one partition did. */
export interface CleanResult {
  tp: TopicPartition;
  /** The first offset not cleaned: the dirty section now starts here. */
  endOffset: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  /** Segments before and after (groups merge). */
  segmentsBefore: number;
  segmentsAfter: number;
  /** Time the throttle asked the cleaner to wait (ms), summed. */
  throttledMs: number;
  /** Wall time of the cleaning (ms), waits included. */
  elapsedMs: number;
}

export interface LogCleanerControl {
  /** Cleans every partition that needs it now, once each, and resolves with what was done. */
  runNow(): Promise<CleanResult[]>;
  /** Hears of each partition cleaned, and of failures (the broker logs them). */
  onCleaned(listener: (r: CleanResult) => void): void;
  /** Stops the background loop; resolves once a cleaning under way has stopped (its work is discarded). */
  stop(): Promise<void>;
  stats(): Record<string, number>;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxBatchBytes: 1024 * 1024 + 12, // Kafka's message.max.bytes (1 MiB + record overhead)
  maxPartitions: 10_000,
};

export const DEFAULT_RETENTION: RetentionPolicy = { retentionBytes: -1, retentionMs: -1 };

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}
