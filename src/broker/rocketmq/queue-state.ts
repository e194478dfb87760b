// What one consumer group has taken from one queue (topic partition), in the
// pop model of RocketMQ 5's consumers: offsets below `nextScan` have been
// looked at; of those, the ones still outstanding were handed out and not
// yet acked, each invisible to other receives until its deadline, and (FIFO
// delivery) some are held back behind an earlier message of their message
// group; in a group's retry topic, each topic's receives scan on from
// their own offset (topicScans). The group's committed offset is the lowest
// outstanding or held offset, or scan (nextScan, each topic's): the
// contiguous prefix that is acked, revived, dead-lettered or filtered out.
// After a restart the state is rebuilt from the pop journal
// (pop-journal.ts): the scan starts again at the committed offset, passing
// over what is still outstanding or was done with already, so FIFO holds
// and each topic's retries are found again in order. What a receive or a
// commit asks of the state costs about the same with ten messages out or a
// hundred thousand. A receive's first deliveries of a queue are one
// checkpoint (pop-checkpoint.ts, as RocketMQ's broker keeps a pop's), held
// in offset order with one deadline each (pop-checkpoints.ts); anything
// else out (a delivery again, a FIFO or retry delivery, a restored one, one
// split out of its checkpoint because its invisible time changed or ran
// out) is a message of its own, kept by offset with its deadline in heaps
// (lazy-heap.ts). Offsets are
// numbers: a queue's offsets stay below 2^53 (pop-service.ts refuses a
// queue past that), and Map lookups and heap comparisons of BigInts go
// through V8's runtime, once or more per message.
import { FifoHolds } from './fifo-holds.js';
import type { Checkpoint } from './pop-checkpoint.js';
import { Checkpoints } from './pop-checkpoints.js';
import { doubles } from '../../storage/doubles.js';
import { LazyHeap, STALE_SLACK } from './lazy-heap.js';
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
  /** Deliveries before this one's first (a retry copy's RECONSUME_TIME): its first is attempt priorAttempts + 1. */
  priorAttempts: number;
  renewFor: string | null;
  renewMs: number;
  renewUntil: number;
}

/** 'acked-in-group': acked, and its message group's next may be delivered now. */
export type AckOutcome = 'acked' | 'acked-in-group' | 'already-done' | 'stale-handle' | 'never-delivered';

const NONE: readonly number[] = Object.freeze([]);

/** The last offset the state can keep as a number: pop-service.ts refuses a queue past it, the journal an entry. */
export const MAX_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

export class QueueState {
  private readonly outstanding = new Map<number, Outstanding>();
  /** The offsets out, lowest first (each its own value); an entry stands while its message is out. */
  private readonly offsets = new LazyHeap<number>((offset) => this.outstanding.has(offset), doubles);
  /** Deadlines of the messages out, each with its offset; an entry stands while the message is out with that deadline. */
  private readonly deadlines = new LazyHeap<number>((deadline, offset) => this.outstanding.get(offset)?.deadline === deadline, doubles);
  /** Receives' first deliveries, a checkpoint each. */
  private readonly checkpoints = new Checkpoints();
  readonly fifo = new FifoHolds();
  /**
   * A group's retry topic holds the retries of each topic the group
   * consumes; receives of a topic take only its own. There `nextScan` is
   * how far the topics in it are known, and each topic's receives have
   * their own scan (from the first of its retries met); the committed
   * offset stays below every topic's, so a topic no receive comes for
   * keeps its retries, and another's come meanwhile.
   */
  readonly topicScans = new Map<string, number>();
  /** Persisted (or being persisted) committed offset. */
  committed: number;
  nextScan: number;
  /** Serialises commits, so they reach the offset store in order. */
  commitChain: Promise<void> = Promise.resolve();
  /** The commit waiting its turn on the chain, if any: later acks join it. */
  commitQueued: Promise<void> | null = null;
  /** Bytes per record of the queue's last batch read (0: none yet): how much a scan asks the log for. */
  bytesPerRecord = 0;
  /** Offsets revived to the retry topic lately (at most REVIVED_KEPT): their handles are stale, not acked twice. */
  private readonly revived = new Set<number>();
  /** Offsets at or past the committed one done with before a restart: the scan passes over them. */
  private readonly doneBefore = new Set<number>();
  /** The log's bounds at the last clamp (null: none yet, or state restored since): everything outstanding or held lies within them. */
  private clamped: { logStart: number; end: number } | null = null;

  /** `topicId`: the topic's id when the state was made (a topic created again under the name is another queue). */
  constructor(start: number, readonly topicId = '') {
    this.committed = start;
    this.nextScan = start;
  }

  /** Takes back what the queue had outstanding, and had done with, before a restart. */
  restore(r: RestoredQueue): void {
    for (const [offset, o] of r.outstanding) {
      if (offset < this.committed) continue;
      this.add(offset, o);
      if (o.messageGroup !== null) this.fifo.taken(o.messageGroup);
    }
    this.clamped = null;
    for (const offset of r.done) if (offset >= this.committed) this.doneBefore.add(offset);
  }

  /** Nothing out, held, scanned apart or done with above the committed offset: the state holds no more than that offset says. */
  idle(): boolean {
    return this.outstanding.size === 0 && this.checkpoints.live === 0 && this.fifo.held === 0 && this.topicScans.size === 0 && this.doneBefore.size === 0;
  }

  /** Whether the scan passes over `offset`: it is out already, or was done with before a restart. */
  passOver(offset: number): boolean {
    if (this.has(offset)) return true;
    return this.doneBefore.size > 0 && this.doneBefore.delete(offset);
  }

  /** Whether `offset` is out. */
  has(offset: number): boolean {
    return (this.outstanding.size > 0 && this.outstanding.has(offset)) || this.checkpoints.locate(offset) !== null;
  }

  lowWatermark(): number {
    let low = this.nextScan;
    const first = this.offsets.peek();
    if (first !== null && first < low) low = first;
    const held = this.fifo.lowest();
    if (held !== null && held < low) low = held;
    const checkpointed = this.checkpoints.lowest();
    if (checkpointed !== null && checkpointed < low) low = checkpointed;
    if (this.topicScans.size > 0) for (const scan of this.topicScans.values()) if (scan < low) low = scan;
    return low;
  }

  /**
   * Outstanding offsets whose invisible time is over, at most `max` of them:
   * those whose time ran out first, returned in offset order. The rest stay
   * due for the next call (a receive takes a batch, not every message a
   * failed consumer left).
   */
  expired(now: number, max = Infinity): readonly number[] {
    // A checkpoint whose time ran out is split into its messages: each is settled on its own.
    for (let cp = this.checkpoints.takeDue(now); cp !== null; cp = this.checkpoints.takeDue(now)) {
      for (let i = 0; i < cp.count; i++) if (((cp.gone >>> i) & 1) === 0) this.splitOut(cp, i);
    }
    let soonest = this.deadlines.peek();
    if (soonest === null || soonest > now) return NONE;
    // A message can have two current entries (its deadline set twice to one value): count it once.
    const due = new Set<number>();
    for (; soonest !== null && soonest <= now && due.size < max; soonest = this.deadlines.peek()) {
      due.add(this.deadlines.topValue());
      this.deadlines.pop();
    }
    const out = [...due];
    if (out.length > 1) out.sort((a, b) => a - b);
    // The caller delivers, renews or drops each (a new entry), or leaves it for the next receive: it stays due.
    for (const offset of out) this.deadlines.push(this.outstanding.get(offset)!.deadline, offset);
    return out;
  }

  /** Sets a delivery's invisible deadline (every change goes through here or deliver(), so expired() finds it). */
  setDeadline(offset: number, o: Outstanding, deadline: number): void {
    o.deadline = deadline;
    if (this.outstanding.get(offset) === o) this.pushDeadline(offset, o);
  }

  /** The earliest invisible deadline, or null with nothing outstanding. */
  nextDeadline(): number | null {
    const single = this.deadlines.peek();
    const checkpoint = this.checkpoints.nextDeadline();
    return checkpoint === null || (single !== null && single <= checkpoint) ? single : checkpoint;
  }

  /** The state of `offset` if it is out, to read or change: one in a checkpoint is split out into a message of its own. */
  get(offset: number): Outstanding | undefined {
    const o = this.outstanding.size > 0 ? this.outstanding.get(offset) : undefined;
    if (o !== undefined) return o;
    const cp = this.checkpoints.locate(offset);
    return cp === null ? undefined : this.splitOut(cp, this.checkpoints.foundAt);
  }

  /**
   * Hands out `offset` (again): returns its state, `attempt` the
   * delivery's, to read (a first delivery above those of every checkpoint
   * goes into the receive's checkpoint, whose state it shares).
   */
  deliver(offset: number, deadline: number, token: string, d: DeliveryOptions): Readonly<Outstanding> {
    if (d.messageGroup !== null) this.fifo.taken(d.messageGroup);
    const o = this.get(offset);
    if (!o && d.messageGroup === null && d.priorAttempts === 0) {
      const shared = this.checkpoints.deliver(offset, deadline, token, d);
      if (shared !== null) return shared;
    }
    if (o) {
      o.attempt++;
      o.deadline = deadline;
      o.token = token;
      o.messageGroup = d.messageGroup;
      o.renewFor = d.renewFor;
      o.renewMs = d.renewMs;
      o.renewUntil = d.renewUntil;
      this.pushDeadline(offset, o);
      return o;
    }
    const fresh: Outstanding = { attempt: 1 + d.priorAttempts, deadline, token, toDeadLetter: false, messageGroup: d.messageGroup, renewFor: d.renewFor, renewMs: d.renewMs, renewUntil: d.renewUntil };
    this.add(offset, fresh);
    return fresh;
  }

  /** Forgets an outstanding offset (acked, dead-lettered, gone, or no longer matching); frees its message group. */
  drop(offset: number): void {
    const o = this.outstanding.get(offset);
    if (o) this.remove(offset, o);
    else {
      const cp = this.checkpoints.locate(offset);
      if (cp !== null) this.checkpoints.remove(cp, this.checkpoints.foundAt);
    }
  }

  /** Drops an outstanding offset whose copy went to the retry topic: a handle of it acks nothing from now on. */
  revive(offset: number): void {
    this.drop(offset);
    this.revived.add(offset);
    if (this.revived.size > REVIVED_KEPT) this.revived.delete(this.revived.values().next().value!);
  }

  /** Whether `offset` was revived to the retry topic (lately). */
  wasRevived(offset: number): boolean {
    return this.revived.size > 0 && this.revived.has(offset);
  }

  ack(offset: number, token: string): AckOutcome {
    const o = this.outstanding.size > 0 ? this.outstanding.get(offset) : undefined;
    if (o !== undefined) {
      if (o.token !== token) return 'stale-handle';
      this.remove(offset, o);
      return o.messageGroup === null ? 'acked' : 'acked-in-group';
    }
    const cp = this.checkpoints.locate(offset);
    if (cp !== null) {
      if (cp.state.token !== token) return 'stale-handle';
      this.checkpoints.remove(cp, this.checkpoints.foundAt);
      return 'acked';
    }
    return offset >= this.nextScan ? 'never-delivered' : this.wasRevived(offset) ? 'stale-handle' : 'already-done';
  }

  /**
   * Keeps the log's bounds: retention may drop offsets, a recreated topic may
   * start over. Deliveries come from below the end of the log, so while the
   * log only grows at its end nothing outstanding or held needs a look; a
   * log start moved up drops the lowest ones only.
   */
  clamp(logStart: number, end: number): void {
    if (this.nextScan < logStart) this.nextScan = logStart;
    if (this.nextScan > end) this.nextScan = end;
    if (this.committed > end) this.committed = end;
    const last = this.clamped;
    if (last === null || end < last.end) {
      for (const offset of [...this.outstanding.keys()]) {
        if (offset < logStart || offset >= end) this.drop(offset);
      }
      this.checkpoints.clamp(logStart, end, true);
      this.fifo.clamp(logStart, end);
    } else if (logStart > last.logStart) {
      for (let low = this.offsets.peek(); low !== null && low < logStart; low = this.offsets.peek()) this.drop(low);
      this.checkpoints.clamp(logStart, end, false);
      this.fifo.clamp(logStart, end);
    }
    for (const [topic, scan] of this.topicScans) if (scan < logStart || scan > this.nextScan) this.topicScans.set(topic, Math.min(Math.max(scan, logStart), this.nextScan));
    if (last === null) this.clamped = { logStart, end };
    else {
      last.logStart = logStart;
      last.end = end;
    }
    if (this.doneBefore.size > 0) {
      // Below every scan (a retry topic's topics scan on their own), no scan meets it again.
      let scanned = this.nextScan;
      for (const scan of this.topicScans.values()) if (scan < scanned) scanned = scan;
      for (const offset of this.doneBefore) if (offset < scanned) this.doneBefore.delete(offset);
    }
  }

  /** Makes the i-th offset of a checkpoint a message out on its own, in the checkpoint's state (a copy, for the caller to change). */
  private splitOut(cp: Checkpoint, i: number): Outstanding {
    this.checkpoints.remove(cp, i);
    const o = { ...cp.state };
    this.add(cp.offsetAt(i), o);
    return o;
  }

  private remove(offset: number, o: Outstanding): void {
    this.outstanding.delete(offset);
    if (o.messageGroup !== null) this.fifo.release(o.messageGroup);
  }

  private add(offset: number, o: Outstanding): void {
    this.outstanding.set(offset, o);
    this.offsets.push(offset, offset);
    this.pushDeadline(offset, o);
  }

  private pushDeadline(offset: number, o: Outstanding): void {
    this.deadlines.push(o.deadline, offset);
    // Stale entries (acked, or given another deadline) go when they reach the top, or here when they outnumber the live ones.
    const limit = 2 * this.outstanding.size + STALE_SLACK;
    if (this.deadlines.size > limit || this.offsets.size > limit) {
      const offsets: number[] = [];
      const deadlines: number[] = [];
      for (const [out, state] of this.outstanding) {
        offsets.push(out);
        deadlines.push(state.deadline);
      }
      if (this.deadlines.size > limit) this.deadlines.rebuild(deadlines, offsets);
      if (this.offsets.size > limit) this.offsets.rebuild(offsets, offsets);
    }
  }
}

/** Revived offsets remembered per queue, so a handle of one is refused (an expired handle: RocketMQ's proxy refuses it too). */
const REVIVED_KEPT = 1024;
