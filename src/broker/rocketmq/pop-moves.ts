// What becomes of a delivery that leaves a consumer group's queue state
// other than by its ack (pop-service.ts): one whose invisible time ran out
// is renewed (a push consumer still connected), moved to the group's DLQ
// (attempts used up, or forwarded), delivered again in place (FIFO), or
// revived: copied to the group's retry topic (retry-topic.ts), whose
// receives of its topic take it from there.
import type { Broker } from '../broker.js';
import type { GroupSettings } from '../group-configs.js';
import type { KafkaRecord } from '../../records/index.js';
import { appendDeadLetter } from './dead-letter.js';
import type { PopJournal } from './pop-journal.js';
import type { Queue } from './pop-queues.js';
import type { PopReads } from './pop-reads.js';
import type { QueueCommits } from './queue-commits.js';
import type { Outstanding } from './queue-state.js';
import { appendRetries, retryOrigin, type Retry } from './retry-topic.js';

/** A failed move to the DLQ or the retry topic is tried again this much later. */
const MOVE_RETRY_MS = 1000;
/**
 * Due messages a receive (or the sweep) looks at per queue, at most: it
 * delivers up to its batch of them again, and renews, dead-letters or
 * revives the others; the rest wait for the next (each look costs a read,
 * so not all of a failed consumer's thousands at once).
 */
const EXPIRED_PER_RECEIVE = 256;

/** What to do with an expired FIFO delivery, which goes again from its own queue (null: revive it to the retry topic). */
export type InPlace = ((offset: number, o: Outstanding) => void) | null;

/** A FIFO delivery expired with no receive at hand: it waits for one, which delivers it before its successors. */
export const LEAVE: InPlace = () => undefined;

export class PopMoves {
  constructor(
    private readonly broker: Broker,
    private readonly reads: PopReads,
    private readonly commits: QueueCommits,
    private readonly journal: PopJournal | null,
    private readonly log: (m: string) => void,
    /** Whether a client (by id) is still connected: a push consumer's deliveries are renewed meanwhile. */
    private readonly clientAlive: (clientId: string) => boolean,
  ) {}

  /**
   * Moves an outstanding message to the DLQ. Meanwhile it can be neither
   * acked (its handle is voided) nor redelivered (no deadline); once stored
   * it leaves the state, freeing its message group and the committed offset.
   */
  async deadLetter(queue: Queue, offset: number, o: Outstanding): Promise<void> {
    const { group, topic, partition, state } = queue;
    state.setDeadline(offset, o, Infinity);
    o.token = '';
    this.journal?.delivered(group, topic, partition, offset, o);
    try {
      const r = this.reads.recordAt(queue, offset);
      // Gone (retention): nothing to move.
      if (r) await appendDeadLetter(this.broker, { group, ...this.originOf(queue, offset, r.record), timestampMs: r.timestampMs, record: r.record, attempts: o.attempt });
      this.done(queue, offset, o);
      this.broker.wakePartition(topic, partition);
      await this.commits.now(queue, state);
    } catch (err) {
      this.log(`rocketmq: cannot move offset ${offset} of ${topic}-${partition} to the DLQ of group ${group} (retrying): ${(err as Error).message}`);
      if (state.get(offset) === o) state.setDeadline(offset, o, Date.now() + MOVE_RETRY_MS);
    }
  }

  /**
   * Revives deliveries of a queue whose invisible time ran out: copies go
   * to the group's retry topic, in as few appends as can be, and the
   * originals are done with. Meanwhile their handles ack nothing (they
   * expired) and they are not revived twice (no deadline). If the broker
   * stops between the copies and the journal's record of them, the
   * originals are revived again after the restart: a retry may come twice,
   * never not at all.
   */
  private async revive(queue: Queue, offsets: readonly number[]): Promise<void> {
    const { group, topic, partition, state } = queue;
    const outs = offsets.map((offset) => {
      const o = state.get(offset)!;
      state.setDeadline(offset, o, Infinity);
      o.token = '';
      return o;
    });
    try {
      const recordAt = this.reads.reader(queue);
      const copies: Retry[] = [];
      for (let i = 0; i < offsets.length; i++) {
        const r = recordAt(offsets[i]!);
        // Gone (retention): nothing to copy.
        if (r) copies.push({ ...this.originOf(queue, offsets[i]!, r.record), timestampMs: r.timestampMs, record: r.record, attempts: outs[i]!.attempt });
      }
      if (copies.length > 0) await appendRetries(this.broker, group, copies);
      for (let i = 0; i < offsets.length; i++) this.done(queue, offsets[i]!, outs[i]!, true);
      this.commits.later(queue, state);
      // The receives of their topics take retries: wake them.
      for (const origin of new Set(copies.map((c) => c.topic))) this.wakeTopic(origin);
    } catch (err) {
      this.log(`rocketmq: cannot revive ${offsets.length} deliveries of ${topic}-${partition} to the retry topic of group ${group} (retrying): ${(err as Error).message}`);
      for (let i = 0; i < offsets.length; i++) if (state.get(offsets[i]!) === outs[i]) state.setDeadline(offsets[i]!, outs[i]!, Date.now() + MOVE_RETRY_MS);
    }
  }

  wakeTopic(topic: string): void {
    const t = this.broker.topics.get(topic);
    for (let p = 0; p < (t?.partitions ?? 0); p++) this.broker.wakePartition(topic, p);
  }

  /** `offset` leaves the queue's state (moved to the DLQ or the retry topic: `revived`), unless delivered again meanwhile. */
  done(queue: Queue, offset: number, o: Outstanding, revived = false): void {
    if (queue.state.get(offset) !== o) return;
    if (revived) queue.state.revive(offset);
    else queue.state.drop(offset);
    this.journal?.done(queue.group, queue.topic, queue.partition, offset);
  }

  /** Where a delivered record was first stored: its own queue, or for a retry, the queue its copy names. */
  private originOf(queue: Queue, offset: number, record: KafkaRecord): { topic: string; partition: number; offset: number } {
    const from = queue.retry ? retryOrigin(record) : null;
    return from ?? { topic: queue.topic, partition: queue.partition, offset };
  }

  /**
   * Expired deliveries of a queue, at most EXPIRED_PER_RECEIVE: a push
   * consumer's is renewed while its client is connected; one out of attempts
   * (or forwarded) goes to the DLQ; any other is revived to the retry topic,
   * or with `inPlace` (FIFO) delivered again from its queue.
   */
  settle(queue: Queue, now: number, settings: GroupSettings, inPlace: InPlace): void {
    const { state } = queue;
    let revive: number[] | null = null;
    for (const offset of state.expired(now, EXPIRED_PER_RECEIVE)) {
      const o = state.get(offset)!;
      if (o.renewFor !== null && now < o.renewUntil && this.clientAlive(o.renewFor)) {
        state.setDeadline(offset, o, now + o.renewMs);
        this.journal?.delivered(queue.group, queue.topic, queue.partition, offset, o);
      } else if (o.toDeadLetter || o.attempt >= settings.maxDeliveryAttempts) {
        o.toDeadLetter = true;
        void this.deadLetter(queue, offset, o);
      } else if (inPlace !== null) inPlace(offset, o);
      else (revive ??= []).push(offset);
    }
    if (revive !== null) void this.revive(queue, revive);
  }
}
