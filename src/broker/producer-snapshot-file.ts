// Producer-state snapshots, as Kafka's ProducerStateManager writes them: the
// idempotent producers' sequences and the open and aborted transactions of
// every partition, with the offset they hold up to. A start reads the
// snapshot and scans each partition's log only from that offset instead of
// from its start (log-scan.ts), so a restart no longer reads every batch
// header of the log. Written at each start, at a clean stop and every
// mqlab.producer.snapshot.interval.ms while the logs grow; replaced as soon
// as a start has read it, so a snapshot never outlives the run it describes
// (a log cut back below its offset and written again cannot meet it).
//
// One JSON file, dataDir/producer-state.snapshot, written to a temporary
// name, synced and renamed, the directory synced. A partition's entry is
// used only where its topic has the same id and its log still reaches the
// entry's offset; otherwise, and for a file that does not parse, the log
// is scanned from its start as before.
//   { "version": 1, "partitions": [{ "topic", "partition", "topicId",
//     "endOffset": "N", "producers": [[id, epoch, lastTimestamp,
//     [[firstSeq, lastSeq, baseOffset, lastOffset], ...]], ...],
//     "open": [[id, firstOffset], ...], "aborted": [[id, firstOffset,
//     lastOffset], ...] }] }   (64-bit numbers as decimal strings)
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BatchMeta, ProducerEntry } from './producer-state.js';
import type { AbortedTxn, PartitionState } from './txn/partition-txns.js';

const VERSION = 1;
export const SNAPSHOT_FILE = 'producer-state.snapshot';

export interface PartitionSnapshot {
  topic: string;
  partition: number;
  topicId: string;
  /** The offset after the last batch the state covers: a start scans from here. */
  endOffset: bigint;
  producers: Map<bigint, ProducerEntry>;
  txns: PartitionState;
}

/** Writes the snapshot in place of the one there (a temporary file, synced, renamed). */
export function writeSnapshot(path: string, partitions: readonly PartitionSnapshot[]): void {
  const json = JSON.stringify({ version: VERSION, partitions: partitions.map(toJson) });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, json);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // The rename itself made durable: after a power loss the snapshot a start replaced must not come back.
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * The snapshot at `path` by partition key (topic-partition); an empty map
 * where there is none. Throws on a file that is not a snapshot this broker
 * wrote (the caller scans every log from its start).
 */
export function readSnapshot(path: string): Map<string, PartitionSnapshot> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  const doc = JSON.parse(text) as { version?: unknown; partitions?: unknown };
  if (doc.version !== VERSION || !Array.isArray(doc.partitions)) throw new Error(`not a version ${VERSION} producer-state snapshot`);
  const out = new Map<string, PartitionSnapshot>();
  for (const p of doc.partitions) {
    const s = fromJson(p);
    out.set(`${s.topic}-${s.partition}`, s);
  }
  return out;
}

function toJson(s: PartitionSnapshot): unknown {
  const o: Record<string, unknown> = { topic: s.topic, partition: s.partition, topicId: s.topicId, endOffset: String(s.endOffset) };
  if (s.producers.size > 0) {
    o.producers = [...s.producers].map(([id, e]) => [String(id), e.epoch, String(e.lastTimestamp), e.batches.map((b) => [b.firstSeq, b.lastSeq, String(b.baseOffset), String(b.lastOffset)])]);
  }
  if (s.txns.open.size > 0) o.open = [...s.txns.open].map(([id, first]) => [String(id), String(first)]);
  if (s.txns.aborted.length > 0) o.aborted = s.txns.aborted.map((a) => [String(a.producerId), String(a.firstOffset), String(a.lastOffset)]);
  return o;
}

function fromJson(v: unknown): PartitionSnapshot {
  const o = record(v, 'a partition');
  const producers = new Map<bigint, ProducerEntry>();
  for (const p of list(o.producers ?? [], 'producers')) {
    const [id, epoch, lastTimestamp, batches] = tuple(p, 4, 'a producer');
    // The fields in the order ProducerStateTable.record makes them: one shape for every entry.
    const entry: ProducerEntry = {
      epoch: int(epoch, 'an epoch', -1, 32767),
      batches: list(batches, 'batches').map((b): BatchMeta => {
        const [firstSeq, lastSeq, baseOffset, lastOffset] = tuple(b, 4, 'a batch');
        return { firstSeq: int(firstSeq, 'a sequence', 0, 2 ** 31 - 1), lastSeq: int(lastSeq, 'a sequence', 0, 2 ** 31 - 1), baseOffset: offset(baseOffset), lastOffset: offset(lastOffset) };
      }),
      lastTimestamp: int64(lastTimestamp, 'a timestamp'),
    };
    producers.set(int64(id, 'a producer id'), entry);
  }
  const open = new Map<bigint, bigint>();
  for (const t of list(o.open ?? [], 'open')) {
    const [id, first] = tuple(t, 2, 'an open transaction');
    open.set(int64(id, 'a producer id'), offset(first));
  }
  const aborted = list(o.aborted ?? [], 'aborted').map((t): AbortedTxn => {
    const [id, first, last] = tuple(t, 3, 'an aborted transaction');
    return { producerId: int64(id, 'a producer id'), firstOffset: offset(first), lastOffset: offset(last) };
  });
  if (typeof o.topic !== 'string' || typeof o.topicId !== 'string') throw new Error('a partition without its topic or topic id');
  return { topic: o.topic, partition: int(o.partition, 'a partition', 0, 2 ** 31 - 1), topicId: o.topicId, endOffset: offset(o.endOffset), producers, txns: { open, aborted } };
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}

function tuple(v: unknown, n: number, what: string): unknown[] {
  const a = list(v, what);
  if (a.length !== n) throw new Error(`${what} has ${a.length} fields, not ${n}`);
  return a;
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Error(`${what} of ${JSON.stringify(v)}`);
  return v;
}

function int64(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^-?\d{1,19}$/.test(v)) throw new Error(`${what} of ${JSON.stringify(v)}`);
  const n = BigInt(v);
  if (n < -(2n ** 63n) || n >= 2n ** 63n) throw new Error(`${what} of ${v}`);
  return n;
}

function offset(v: unknown): bigint {
  const n = int64(v, 'an offset');
  if (n < 0n) throw new Error(`an offset of ${n}`);
  return n;
}
