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
// One file, dataDir/producer-state.snapshot, replaced whole with its
// directory synced (atomic-file.ts, by producer-snapshots.ts): a first line
// "mqlab-producer-snapshot 1 <CRC-32C, hex> <bytes after the line>", then
// JSON. A partition's entry is used only where its topic has the same id
// and its log still holds the entry's offset (log start <= it <= high
// watermark); otherwise, and for a file that is not whole and consistent,
// the log is scanned from its start as before.
//   { "partitions": [{ "topic", "partition", "topicId",
//     "endOffset": "N", "producers": [[id, epoch, lastTimestamp,
//     [[firstSeq, lastSeq, baseOffset, lastOffset], ...]], ...],
//     "open": [[id, firstOffset], ...], "aborted": [[id, firstOffset,
//     lastOffset], ...] }] }   (64-bit numbers as decimal strings)
import { readFileSync, statSync } from 'node:fs';
import { crc32c } from '../native/crc32c.js';
import { DEDUPE_BATCHES, type BatchMeta, type ProducerEntry } from './producer-state.js';
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

/** Larger files are not read (a full scan instead): a snapshot holds tens of bytes per producer. */
export const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;
const MAGIC = 'mqlab-producer-snapshot';

/**
 * The file's bytes for these partitions: a first line of the magic, the
 * version, the CRC-32C (hex) and the length of what follows, then the
 * JSON. Made at once, from the state as it is (not views of it).
 */
export function encodeSnapshot(partitions: readonly PartitionSnapshot[]): Buffer {
  const body = Buffer.from(JSON.stringify({ partitions: partitions.map(toJson) }));
  return Buffer.concat([Buffer.from(`${MAGIC} ${VERSION} ${crc32c(body).toString(16).padStart(8, '0')} ${body.length}\n`), body]);
}

/**
 * The snapshot at `path` by partition key (topic-partition); an empty map
 * where there is none. Throws on a file that is not a whole, consistent
 * snapshot this broker wrote (the caller then scans every log from its
 * start): a bad first line or CRC, JSON that does not parse, a field out
 * of range, or state past the offset it claims to hold up to.
 */
export function readSnapshot(path: string): Map<string, PartitionSnapshot> {
  let bytes: Buffer;
  try {
    const size = statSync(path).size;
    if (size > MAX_SNAPSHOT_BYTES) throw new Error(`${size} bytes, more than the ${MAX_SNAPSHOT_BYTES} read`);
    bytes = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  const eol = bytes.indexOf(10);
  const head = /^(\S+) (\d+) ([0-9a-f]{8}) (\d+)$/.exec(eol < 0 ? '' : bytes.toString('latin1', 0, eol));
  if (head === null || head[1] !== MAGIC || Number(head[2]) !== VERSION) throw new Error(`not a version ${VERSION} producer-state snapshot`);
  const body = bytes.subarray(eol + 1);
  if (body.length !== Number(head[4])) throw new Error(`${body.length} bytes after the first line, not ${head[4]}`);
  if (crc32c(body) !== parseInt(head[3]!, 16)) throw new Error('CRC-32C mismatch');
  const doc = JSON.parse(body.toString('utf8')) as { partitions?: unknown };
  if (!Array.isArray(doc.partitions)) throw new Error('no partitions list');
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
  if (typeof o.topic !== 'string' || typeof o.topicId !== 'string') throw new Error('a partition without its topic or topic id');
  const endOffset = offset(o.endOffset);
  const where = `${o.topic}: `;
  /** An offset of the state: below the offset the snapshot holds up to. */
  const held = (x: unknown): bigint => {
    const n = offset(x);
    if (n >= endOffset) throw new Error(`${where}offset ${n} is not below the snapshot's end offset ${endOffset}`);
    return n;
  };
  const producers = new Map<bigint, ProducerEntry>();
  for (const p of list(o.producers ?? [], 'producers')) {
    const [id, epoch, lastTimestamp, batches] = tuple(p, 4, 'a producer');
    // The fields in the order ProducerStateTable.record makes them: one shape for every entry.
    const entry: ProducerEntry = {
      epoch: int(epoch, 'an epoch', -1, 32767),
      batches: list(batches, 'batches').map((b): BatchMeta => {
        const [firstSeq, lastSeq, baseOffset, lastOffset] = tuple(b, 4, 'a batch');
        const base = held(baseOffset);
        const last = held(lastOffset);
        if (last < base) throw new Error(`${where}a batch from offset ${base} to ${last}`);
        return { firstSeq: int(firstSeq, 'a sequence', 0, 2 ** 31 - 1), lastSeq: int(lastSeq, 'a sequence', 0, 2 ** 31 - 1), baseOffset: base, lastOffset: last };
      }),
      lastTimestamp: int64(lastTimestamp, 'a timestamp'),
    };
    if (entry.batches.length > DEDUPE_BATCHES) throw new Error(`${where}a producer with ${entry.batches.length} batches, more than the ${DEDUPE_BATCHES} kept`);
    const pid = int64(id, 'a producer id');
    if (producers.has(pid)) throw new Error(`${where}producer ${pid} twice`);
    producers.set(pid, entry);
  }
  const open = new Map<bigint, bigint>();
  for (const t of list(o.open ?? [], 'open')) {
    const [id, first] = tuple(t, 2, 'an open transaction');
    open.set(int64(id, 'a producer id'), held(first));
  }
  let previous = -1n;
  const aborted = list(o.aborted ?? [], 'aborted').map((t): AbortedTxn => {
    const [id, first, last] = tuple(t, 3, 'an aborted transaction');
    const a = { producerId: int64(id, 'a producer id'), firstOffset: held(first), lastOffset: held(last) };
    // PartitionTxns.abortedIn searches them by marker offset.
    if (a.lastOffset < a.firstOffset || a.lastOffset < previous) throw new Error(`${where}aborted transactions out of order at marker offset ${a.lastOffset}`);
    previous = a.lastOffset;
    return a;
  });
  return { topic: o.topic, partition: int(o.partition, 'a partition', 0, 2 ** 31 - 1), topicId: o.topicId, endOffset, producers, txns: { open, aborted } };
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
