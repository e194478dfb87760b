// What a PullMessage reads: records of one queue from the offset the client
// asks for, as RocketMQ's pull consumption reads them (the client keeps its
// own position; the broker keeps no per-message state, takes no invisible
// time and issues no receipt handle). A read_committed read, as pop's
// (queue-records.ts): up to the last stable offset, aborted records
// skipped. A tag or SQL92 filter is applied here and what it passes over is
// still consumed: the next offset is past everything looked at, so a
// client never reads the same unmatched records twice. An offset outside
// the queue is answered with the queue's bound to go on from, as
// RocketMQ's store does (OFFSET_TOO_SMALL: its min offset; past the end:
// its max offset).
import type { Broker } from '../broker.js';
import { bytesForRecords, readQueueRecords, type StoredRecord } from './queue-records.js';
import { storedMatches, type TagFilter } from './tag-filter.js';
import { CodeWindow } from './code-window.js';
import { MESSAGE_TYPE_CONFIG } from './message-type.js';
import { codeMayMatch, filterCodes } from './tag-code.js';
import { MAX_OFFSET } from './queue-state.js';
import { HEAD_BYTES } from './delivery.js';
import { PopError } from './pop-error.js';

/** Log bytes one pull looks at, at most: a filter that matches little is answered with how far it got, not a scan of the whole queue. */
export const PULL_SCAN_BYTES = 1024 * 1024;
/** Tag codes one pull passes over in the index, at most, likewise. */
export const PULL_SCAN_CODES = 64 * 1024;

export interface PullRead {
  topic: string;
  partition: number;
  offset: bigint;
  /** Records to return at most (the endpoint caps it at 32, as RocketMQ's proxy). */
  batchSize: number;
  filter: TagFilter;
  /** How long to wait for a record past the end. */
  pollMs: number;
  cancelled(): boolean;
  /**
   * The connection's unsent-bytes bounds, asked when the records are taken
   * (after any wait): the read stops before passing `room()`, after one
   * record at least, and counts what it took with `hold()` at once, so
   * pulls waking together do not all take the same room.
   */
  budget: { room(): number; hold(bytes: number): void };
}

export type PullResult =
  /** The offset lies outside the queue: `nextOffset` is the bound to go on from. */
  | { kind: 'illegal'; nextOffset: bigint; reason: string }
  /** The connection's unsent bytes were at their bound when the records were to be taken: none taken. */
  | { kind: 'full' }
  /** What matched (maybe nothing: the poll ended, or the filter passed over all it looked at), the offset after everything looked at, the bytes held for it (budget.hold), and the log bytes read for it (the last scan's). */
  | { kind: 'read'; records: StoredRecord[]; nextOffset: bigint; held: number; bytesRead: number };

/** How far a filter's misses grow a read: up to this many times the records wanted. */
const MAX_SPARSE = 8;

export async function pullRecords(broker: Broker, req: PullRead): Promise<PullResult> {
  const tp = { topic: req.topic, partition: req.partition };
  const pollUntil = Date.now() + req.pollMs;
  let bytesRead = 0;
  for (;;) {
    const start = broker.engine.logStartOffset(tp);
    const end = broker.engine.highWatermark(tp);
    // As pop's reads answer it (pop-reads.ts): no offset to go on from would be one this broker reads.
    if (end > MAX_OFFSET) throw new PopError('UNSUPPORTED', `${req.topic}-${req.partition} has offsets past 2^53 - 1 (${end}): RocketMQ consumers read queues below that (Kafka consumers read all of it)`);
    if (req.offset < start) return { kind: 'illegal', nextOffset: start, reason: `offset ${req.offset} of ${req.topic}-${req.partition} is below its first, ${start} (removed by retention or deleted): go on from ${start}` };
    if (req.offset > end) return { kind: 'illegal', nextOffset: end, reason: `offset ${req.offset} of ${req.topic}-${req.partition} is past its end, ${end}` };
    if (req.budget.room() <= 0) return { kind: 'full' };
    const got = scan(broker, req, Number(req.offset), end);
    if (got.held > 0) req.budget.hold(got.held);
    got.bytesRead += bytesRead;
    if (got.records.length > 0 || got.nextOffset > req.offset || req.cancelled()) return got;
    bytesRead = got.bytesRead;
    const remaining = pollUntil - Date.now();
    if (remaining <= 0) return got;
    await broker.waitForAppend(req.topic, req.partition, remaining);
  }
}

/**
 * Up to batchSize matching records from `from`, reading at most
 * PULL_SCAN_BYTES of log (and the answer at most the budget's room). A tag
 * filter on a topic with a message type is first looked up in the engine's
 * tag index (the commit log's consume-queue codes, the segmented engine's
 * .tags), as pop's receives do: records whose code cannot match are passed
 * over unread, PULL_SCAN_CODES of them at most; the exact tag is checked on
 * the records read.
 */
function scan(broker: Broker, req: PullRead, from: number, end: bigint): PullResult & { kind: 'read' } {
  const tp = { topic: req.topic, partition: req.partition };
  const records: StoredRecord[] = [];
  const room = req.budget.room();
  const indexed = broker.topics.get(req.topic)?.configs[MESSAGE_TYPE_CONFIG] !== undefined && broker.engine.tagCodes !== undefined;
  const codes = !req.filter.all && indexed ? filterCodes(req.filter) : null;
  const window = codes === null ? null : new CodeWindow(broker.engine, tp);
  const mayMatch = (c: bigint): boolean => codeMayMatch(req.filter, codes!, c);
  const codesEnd = BigInt(from + PULL_SCAN_CODES) < end ? BigInt(from + PULL_SCAN_CODES) : end;
  let next = from;
  let scanned = 0;
  let held = 0;
  let bytesPerRecord = 0;
  // Reads ask for about the records still wanted (what is read past them is read again by the next pull); a read the filter took nothing from doubles the next (a partial batch at a read's end is read again).
  let sparse = 1;
  while (records.length < req.batchSize && scanned < PULL_SCAN_BYTES) {
    let want = (req.batchSize - records.length) * sparse;
    if (window !== null) {
      const skipTo = Number(window.nextMayMatch(BigInt(next), codesEnd, mayMatch));
      if (skipTo > next) {
        next = skipTo;
        if (BigInt(next) >= codesEnd) break;
        continue;
      }
      // Only the run of records that may match.
      want = Math.min(want, window.runLength(BigInt(next), codesEnd, mayMatch));
    }
    const read = readQueueRecords(broker.engine, tp, next, bytesPerRecord === 0 ? 1 : Math.min(PULL_SCAN_BYTES - scanned, bytesForRecords(want, bytesPerRecord)), broker.transactions.partitions);
    scanned += read.bytesRead;
    if (read.bytesPerRecord > 0) bytesPerRecord = read.bytesPerRecord;
    const before = records.length;
    for (const r of read.records) {
      if (r.offset < next) continue;
      if (storedMatches(req.filter, r)) {
        const bytes = r.bodyBytes + HEAD_BYTES;
        if (records.length > 0 && held + bytes > room) return { kind: 'read', records, nextOffset: BigInt(next), held, bytesRead: scanned };
        records.push(r);
        held += bytes;
      }
      next = r.offset + 1;
      if (records.length === req.batchSize) return { kind: 'read', records, nextOffset: BigInt(next), held, bytesRead: scanned };
    }
    // Nothing more to read now (the end, or the last stable offset); an aborted run or a control batch moves `end` on with no record.
    if (read.records.length === 0 && read.end <= next) break;
    if (read.end > next) next = read.end;
    sparse = records.length === before ? Math.min(sparse * 2, MAX_SPARSE) : 1;
  }
  return { kind: 'read', records, nextOffset: BigInt(next), held, bytesRead: scanned };
}
