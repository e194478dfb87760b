// What pop consumption (pop-service.ts) reads of a queue's log: its bounds,
// a scan's next records, the record at one offset; every read counted.
import type { Broker } from '../broker.js';
import { PopError } from './pop-error.js';
import type { Queue } from './pop-queues.js';
import { bytesForRecords, readQueueRecords, type QueueRead, type StoredRecord } from './queue-records.js';
import { MAX_OFFSET } from './queue-state.js';
import type { TopicPartition } from '../../storage/types.js';

/**
 * Bytes read from the log per step of a scan. A receive takes at most 32
 * messages and what it reads past them is read again by the next one, so
 * this stays small (bench/rocketmq/tag-filter: 1 MiB steps read 29× the log
 * to deliver all of it in receives of 32 one-KiB messages).
 */
const SCAN_BYTES = 64 * 1024;

export class PopReads {
  /** Log bytes read to deliver or look at records (the tag index's reads are the engine's stats). */
  bytesRead = 0;

  constructor(private readonly broker: Broker) {}

  /** Keeps the queue's state within its log's bounds; returns the log's end, as a number and as read. */
  clamp(queue: Queue): { clamped: number; logEnd: bigint } {
    const logEnd = this.broker.engine.highWatermark(queue.tp);
    // The pop state keeps offsets as numbers; no log gets this far by appends (2^53 messages), but a receive would rather say so than lose precision.
    if (logEnd > MAX_OFFSET) throw new PopError('UNSUPPORTED', `${queue.topic}-${queue.partition} has offsets past 2^53 - 1 (${logEnd}): RocketMQ consumers read queues below that (Kafka consumers read all of it)`);
    const clamped = Number(logEnd);
    queue.state.clamp(Number(this.broker.engine.logStartOffset(queue.tp)), clamped);
    return { clamped, logEnd };
  }

  /**
   * The next records of a scan, from `from`: as many bytes as the queue's
   * batches so far suggest for `want` records (bytesForRecords); a short run (or no estimate
   * yet) reads exactly its first batch (the engine returns at least one
   * whole batch), so nothing past it is read.
   */
  scanStep(queue: Queue, from: number, want: number, shortRun = false): QueueRead {
    const { state } = queue;
    const readBytes = shortRun || state.bytesPerRecord === 0 ? 1 : Math.min(SCAN_BYTES, bytesForRecords(want, state.bytesPerRecord));
    const read = this.from(queue.tp, from, readBytes);
    if (read.bytesPerRecord > 0) state.bytesPerRecord = read.bytesPerRecord;
    return read;
  }

  /** The record at an offset of the queue; redeliveries and FIFO holds let go mostly lie in one batch: it is read once, not once per message. */
  reader(queue: Queue): (offset: number) => StoredRecord | undefined {
    let last: QueueRead | null = null;
    return (offset) => {
      if (last === null || last.records.length === 0 || offset < last.records[0]!.offset || offset >= last.end) last = this.from(queue.tp, offset, 1);
      return last.records.find((s) => s.offset === offset);
    };
  }

  /** The record at an offset of the queue (undefined: gone, to retention). */
  recordAt(queue: Queue, offset: number): StoredRecord | undefined {
    return this.reader(queue)(offset);
  }

  /** Records from the batch holding `offset` on, up to `maxBytes` (at least that batch). */
  private from(tp: TopicPartition, offset: number, maxBytes: number): QueueRead {
    const r = readQueueRecords(this.broker.engine, tp, offset, maxBytes, this.broker.transactions.partitions);
    this.bytesRead += r.bytesRead;
    return r;
  }
}
