// What one consumer group has taken from one queue (topic partition), in the
// pop model of RocketMQ 5's consumers: offsets below `nextScan` have been
// looked at; of those, the ones still outstanding were handed out and not
// yet acked, each invisible to other receives until its deadline, and (FIFO
// delivery) some are held back behind an earlier message of their message
// group. The group's committed offset is the lowest outstanding or held
// offset (or nextScan): the contiguous prefix that is acked, dead-lettered
// or filtered out. After a restart the state is rebuilt from the pop
// journal (pop-journal.ts): the scan starts again at the committed offset,
// passing over what is still outstanding or was done with already, so FIFO
// holds are found again in order.
import { FifoHolds } from './fifo-holds.js';
import type { RestoredQueue } from './pop-journal.js';

export interface Outstanding {
  /** Deliveries so far, 1 on the first. */
  attempt: number;
  /** Date.now() after which the message may be delivered again (Infinity while it moves to the DLQ). */
  deadline: number;
  /** The receipt-handle token of the latest delivery (receipt-handle.ts): only that handle acks or renews; '' (voided) matches none, as no handle's token is empty. */
  token: string;
  /** Its message group, when delivered in FIFO order. */
  messageGroup: string | null;
  /** A push consumer's delivery: renewed while this client stays connected. */
  renewFor: string | null;
  /** The invisible time each renewal adds. */
  renewMs: number;
  /** Renewal stops here, so a stuck consumer cannot hold a message forever. */
  renewUntil: number;
  /** Bound for the dead-letter queue (attempts used up, or forwarded by the client). */
  toDeadLetter: boolean;
}

export interface DeliveryOptions {
  messageGroup: string | null;
  renewFor: string | null;
  renewMs: number;
  renewUntil: number;
}

export type AckOutcome = 'acked' | 'already-done' | 'stale-handle' | 'never-delivered';

const NONE: readonly bigint[] = Object.freeze([]);

export class QueueState {
  private readonly outstanding = new Map<bigint, Outstanding>();
  readonly fifo = new FifoHolds();
  /** Persisted (or being persisted) committed offset. */
  committed: bigint;
  nextScan: bigint;
  /** Serialises commits, so they reach the offset store in order. */
  commitChain: Promise<void> = Promise.resolve();
  /** The commit waiting its turn on the chain, if any: later acks join it. */
  commitQueued: Promise<void> | null = null;
  /** Bytes per record of the queue's last batch read (0: none yet): how much a scan asks the log for. */
  bytesPerRecord = 0;
  /** Offsets at or past the committed one done with before a restart: the scan passes over them. */
  private readonly doneBefore = new Set<bigint>();
  /** No outstanding deadline is earlier than this: a receive before it looks at none of them (expired()). */
  private earliest = -Infinity;

  /** `topicId`: the topic's id when the state was made (a topic created again under the name is another queue). */
  constructor(start: bigint, readonly topicId = '') {
    this.committed = start;
    this.nextScan = start;
  }

  /** Takes back what the queue had outstanding, and had done with, before a restart. */
  restore(r: RestoredQueue): void {
    for (const [offset, o] of r.outstanding) {
      if (offset < this.committed) continue;
      this.outstanding.set(offset, o);
      if (o.messageGroup !== null) this.fifo.taken(o.messageGroup);
    }
    this.earliest = -Infinity;
    for (const offset of r.done) if (offset >= this.committed) this.doneBefore.add(offset);
  }

  /** Whether the scan passes over `offset`: it is out already, or was done with before a restart. */
  passOver(offset: bigint): boolean {
    if (this.outstanding.has(offset)) return true;
    return this.doneBefore.delete(offset);
  }

  lowWatermark(): bigint {
    let low = this.nextScan;
    for (const offset of this.outstanding.keys()) if (offset < low) low = offset;
    const held = this.fifo.lowest();
    return held !== null && held < low ? held : low;
  }

  /** Outstanding offsets whose invisible time is over, oldest first (none, without a look at each, before the earliest deadline). */
  expired(now: number): readonly bigint[] {
    if (this.earliest > now) return NONE;
    const out: bigint[] = [];
    let earliest = Infinity;
    for (const [offset, o] of this.outstanding) {
      if (o.deadline <= now) out.push(offset);
      else if (o.deadline < earliest) earliest = o.deadline;
    }
    // Those found are the caller's to deliver again, renew or drop (or leave for the next receive): look again next time.
    this.earliest = out.length > 0 ? -Infinity : earliest;
    return out.length > 1 ? out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : out;
  }

  /** Sets a delivery's invisible deadline (every change goes through here or deliver(), so expired() knows the earliest). */
  setDeadline(o: Outstanding, deadline: number): void {
    o.deadline = deadline;
    if (deadline < this.earliest) this.earliest = deadline;
  }

  /** The earliest invisible deadline, or null with nothing outstanding. */
  nextDeadline(): number | null {
    let min: number | null = null;
    for (const o of this.outstanding.values()) if (min === null || o.deadline < min) min = o.deadline;
    return min;
  }

  get(offset: bigint): Outstanding | undefined {
    return this.outstanding.get(offset);
  }

  /** Hands out `offset` (again): returns its state, `attempt` the delivery's. */
  deliver(offset: bigint, deadline: number, token: string, d: DeliveryOptions): Outstanding {
    if (d.messageGroup !== null) this.fifo.taken(d.messageGroup);
    const o = this.outstanding.get(offset);
    if (deadline < this.earliest) this.earliest = deadline;
    if (o) {
      o.attempt++;
      o.deadline = deadline;
      o.token = token;
      o.messageGroup = d.messageGroup;
      o.renewFor = d.renewFor;
      o.renewMs = d.renewMs;
      o.renewUntil = d.renewUntil;
      return o;
    }
    const fresh: Outstanding = { attempt: 1, deadline, token, toDeadLetter: false, messageGroup: d.messageGroup, renewFor: d.renewFor, renewMs: d.renewMs, renewUntil: d.renewUntil };
    this.outstanding.set(offset, fresh);
    return fresh;
  }

  /** Forgets an outstanding offset (acked, dead-lettered, gone, or no longer matching); frees its message group. */
  drop(offset: bigint): void {
    const o = this.outstanding.get(offset);
    if (!o) return;
    this.outstanding.delete(offset);
    if (o.messageGroup !== null) this.fifo.release(o.messageGroup);
  }

  ack(offset: bigint, token: string): AckOutcome {
    const o = this.outstanding.get(offset);
    if (!o) return offset < this.nextScan ? 'already-done' : 'never-delivered';
    if (o.token !== token) return 'stale-handle';
    this.drop(offset);
    return 'acked';
  }

  /** Keeps the log's bounds: retention may drop offsets, a recreated topic may start over. */
  clamp(logStart: bigint, highWatermark: bigint): void {
    if (this.nextScan < logStart) this.nextScan = logStart;
    if (this.nextScan > highWatermark) this.nextScan = highWatermark;
    for (const offset of [...this.outstanding.keys()]) {
      if (offset < logStart || offset >= highWatermark) this.drop(offset);
    }
    this.fifo.clamp(logStart, highWatermark);
    if (this.committed > highWatermark) this.committed = highWatermark;
    for (const offset of this.doneBefore) if (offset < this.nextScan) this.doneBefore.delete(offset);
  }
}
