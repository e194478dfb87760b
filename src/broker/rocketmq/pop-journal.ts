// What consumer groups have taken and not yet acked, kept across restarts:
// RocketMQ's pop checkpoints, in an internal topic of the storage engine
// (like __consumer_offsets). Each delivery, renewal or new invisible time
// appends the message's state; an ack, a move to the DLQ or a drop appends
// a tombstone. At startup the topic is replayed, so a message taken before
// a restart stays invisible until its deadline, keeps its attempt count
// (and so its way to the DLQ), and is acked by the receipt handle the client
// holds; messages acked above the committed offset are not delivered again.
// What a turn of the event loop records is written as one batch before
// any answer leaves (protocol/before-answers.ts; the engine writes
// synchronously), or at the turn's end where none does, so a process
// killed after an answer finds its records. Deliveries do not wait for
// the flush policy: like RocketMQ's buffered checkpoints, a power cut can
// lose the last ones, and those messages are delivered again sooner, never
// lost. Under flush=batch an ack's answer waits for its record's sync
// (stored()): the journal, not the group's committed offset, is what keeps
// an acked message from coming back, and the offset is committed later for
// many acks at once (pop-service.ts). The topic is not compacted; it keeps seven days
// (retention.ms, on the segmented engine; the commit log keeps what the log
// keeps), far past the longest invisible time (12 h), as renewals and
// redeliveries write a message's state again. The records' form is in
// pop-record.ts: a receive's deliveries, or an ack's, are one record, and
// a run of consecutive offsets in one state is one entry of it.
import { beforeAnswers } from '../../protocol/before-answers.js';
import { replayTopic } from '../replay-topic.js';
import { DEFAULT_LIMITS, type StorageEngine, type TopicPartition } from '../../storage/types.js';
import type { TopicRegistry } from '../topics.js';
import type { Outstanding } from './queue-state.js';
import { JournalRecords } from './journal-records.js';
import { decodeKey, queuePrefix, readEntries } from './pop-record.js';

export const POP_TOPIC = '__rocketmq_pop';
const RETENTION_MS = 7 * 24 * 3600 * 1000;
const TP: TopicPartition = { topic: POP_TOPIC, partition: 0 };

export interface RestoredQueue {
  outstanding: Map<number, Outstanding>;
  /** Offsets done with (acked, dead-lettered, dropped) after their delivery. */
  done: Set<number>;
}

export class PopJournal {
  private restored = new Map<string, RestoredQueue>();
  /** Recorded since the last flush, written as the batch's records as they come. */
  private readonly pending: JournalRecords;
  /** Per queue, the size of its done set at which replay next prunes it. */
  private readonly pruneAt = new Map<string, number>();
  /** Per queue, its records' key prefix. */
  private readonly prefixes = new Map<string, Buffer>();
  /** The queue last recorded for, and its prefix: a receive's or an ack's records are mostly of one queue. */
  private last: { group: string; topic: string; partition: number; prefix: Buffer } | null = null;
  /** The last batch written: resolves once it is stored. */
  private lastStored: Promise<void> = Promise.resolve();
  /** Whether the end of this turn writes the pending records (where no answer has left before it). */
  private flushScheduled = false;
  /** Stops the write before answers. */
  private readonly unhook: () => void;

  constructor(
    private readonly engine: StorageEngine,
    private readonly topics: TopicRegistry,
    private readonly log: (m: string) => void,
    /** The log's message.max.bytes: a flush is written as batches no larger. */
    maxBatchBytes = DEFAULT_LIMITS.maxBatchBytes,
    /** flush=batch: an ack is answered once its record is synced (else once written, before the answer). */
    private readonly syncedAcks = false,
  ) {
    this.pending = new JournalRecords(maxBatchBytes);
    this.unhook = beforeAnswers(() => this.flushPending());
  }

  /** Replays the topic (creating it the first time); what lies below a group's committed offset is forgotten. */
  open(committed: (group: string, topic: string, partition: number) => bigint): void {
    if (!this.topics.get(POP_TOPIC)) this.topics.create(POP_TOPIC, 1, { 'retention.ms': String(RETENTION_MS) }, true);
    replayTopic(this.engine, TP, (key, value) => this.apply(key, value, committed));
    for (const [k, q] of this.restored) prune(q, committed(...splitKey(k)));
  }

  /** The state a queue had before the restart, once (the queue's state is built from it). */
  take(group: string, topic: string, partition: number): RestoredQueue | undefined {
    const key = queueKey(group, topic, partition);
    const r = this.restored.get(key);
    this.restored.delete(key);
    return r;
  }

  /** The queues restored and not yet taken: their states are made at the start, so their expired deliveries are settled though no client comes. */
  restoredQueues(): Array<[group: string, topic: string, partition: number]> {
    return [...this.restored.keys()].map(splitKey);
  }

  /** A message's state after a delivery, renewal or new invisible time. */
  delivered(group: string, topic: string, partition: number, offset: number, o: Outstanding): void {
    this.add(group, topic, partition, offset, o);
  }

  done(group: string, topic: string, partition: number, offset: number): void {
    this.add(group, topic, partition, offset, null);
  }

  /**
   * What an ack's answer waits for: null where what was recorded so far is
   * written before any answer leaves and the flush policy asks no more;
   * under flush=batch, it is written now (the sync it waits for is shared
   * with every write meanwhile: GroupCommit) and the promise resolves once
   * it is synced (or could not be: that is logged, and the state in memory
   * stands until a restart).
   */
  stored(): Promise<void> | null {
    if (!this.syncedAcks) return null;
    this.flushPending();
    return this.lastStored;
  }

  /** Writes what is pending now; the endpoint calls it once it is closed. */
  close(): void {
    this.flushPending();
    this.unhook();
  }

  /**
   * Writes the records pending, if any (before answers leave, at the end of
   * the turn, or for an ack under flush=batch), as one batch (several past
   * message.max.bytes); lastStored resolves once they are stored (or not
   * storable).
   */
  private flushPending(): void {
    if (this.pending.isEmpty()) return;
    try {
      const batch = this.pending.batch(Date.now());
      if (batch === null) return;
      this.lastStored = this.engine.append(TP, batch, { origin: 'internal' }).then(
        () => undefined,
        (err: Error) => this.log(`rocketmq: cannot record consumers' in-flight messages and acks in ${POP_TOPIC} (after a restart they may be delivered again): ${err.message}`),
      );
    } catch (err) {
      // Not the client's doing, and answers are on their way: said, and the state in memory stands.
      this.log(`rocketmq: cannot record consumers' in-flight messages and acks in ${POP_TOPIC}: ${(err as Error).message}`);
    }
  }

  private add(group: string, topic: string, partition: number, offset: number, state: Outstanding | null): void {
    let last = this.last;
    if (last === null || last.group !== group || last.topic !== topic || last.partition !== partition) {
      const k = queueKey(group, topic, partition);
      let prefix = this.prefixes.get(k);
      if (!prefix) this.prefixes.set(k, (prefix = queuePrefix(group, topic, partition)));
      this.last = last = { group, topic, partition, prefix };
    }
    // The state as it is now, encoded at once: the object changes later.
    this.pending.add(last.prefix, offset, state);
    // Written before the next answer leaves; at the end of this turn where none does.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushPending();
      });
    }
  }

  private apply(key: Buffer, value: Buffer | null, committed: (group: string, topic: string, partition: number) => bigint): void {
    const { group, topic, partition, offset: keyOffset } = decodeKey(key);
    const k = queueKey(group, topic, partition);
    let q = this.restored.get(k);
    if (!q) this.restored.set(k, (q = { outstanding: new Map(), done: new Set() }));
    const queue = q;
    readEntries(keyOffset, value, (offset, state) => {
      if (state === null) {
        queue.outstanding.delete(offset);
        queue.done.add(offset);
        // The journal keeps every ack ever made: hold on only to those above the committed offset.
        if (queue.done.size > (this.pruneAt.get(k) ?? PRUNE_AT)) {
          prune(queue, committed(group, topic, partition));
          this.pruneAt.set(k, Math.max(PRUNE_AT, 2 * queue.done.size));
        }
        return;
      }
      queue.done.delete(offset);
      queue.outstanding.set(offset, state);
    });
  }
}

const PRUNE_AT = 10_000;

function prune(q: RestoredQueue, committedOffset: bigint): void {
  const committed = Number(committedOffset);
  for (const o of q.done) if (o < committed) q.done.delete(o);
  for (const o of q.outstanding.keys()) if (o < committed) q.outstanding.delete(o);
}

function queueKey(group: string, topic: string, partition: number): string {
  return `${group}\0${topic}\0${partition}`;
}

function splitKey(k: string): [string, string, number] {
  const [group, topic, partition] = k.split('\0');
  return [group!, topic!, Number(partition)];
}
