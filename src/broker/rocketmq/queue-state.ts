// What one consumer group has taken from one queue (topic partition), in the
// pop model of RocketMQ 5's SimpleConsumer: offsets below `nextScan` have
// been looked at; of those, the ones still outstanding were handed out and
// not yet acked, each invisible to other receives until its deadline. The
// group's committed offset is the lowest outstanding offset (or nextScan):
// the contiguous prefix that is acked or filtered out. In memory only: after
// a restart everything from the committed offset on is delivered again.

export interface Outstanding {
  /** Deliveries so far, 1 on the first. */
  attempt: number;
  /** Date.now() after which the message may be delivered again. */
  deadline: number;
  /** The receipt handle of the latest delivery; only it acks or renews. */
  handle: string;
}

export type AckOutcome = 'acked' | 'already-done' | 'stale-handle' | 'never-delivered';

export class QueueState {
  // Insertion order is offset order: new entries come from the scan, which
  // only moves up, and redelivery updates an entry in place.
  private readonly outstanding = new Map<bigint, Outstanding>();
  /** Persisted (or being persisted) committed offset. */
  committed: bigint;
  nextScan: bigint;
  /** Serialises commits, so they reach the offset store in order. */
  commitChain: Promise<void> = Promise.resolve();

  constructor(start: bigint) {
    this.committed = start;
    this.nextScan = start;
  }

  lowWatermark(): bigint {
    for (const offset of this.outstanding.keys()) return offset;
    return this.nextScan;
  }

  /** Outstanding offsets whose invisible time is over, oldest first. */
  expired(now: number): bigint[] {
    const out: bigint[] = [];
    for (const [offset, o] of this.outstanding) if (o.deadline <= now) out.push(offset);
    return out;
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

  /** Hands out `offset` (again): returns the delivery attempt. */
  deliver(offset: bigint, deadline: number, handle: string): number {
    const o = this.outstanding.get(offset);
    if (o) {
      o.attempt++;
      o.deadline = deadline;
      o.handle = handle;
      return o.attempt;
    }
    this.outstanding.set(offset, { attempt: 1, deadline, handle });
    return 1;
  }

  /** Forgets an outstanding offset (its record is gone, or no longer matches). */
  drop(offset: bigint): void {
    this.outstanding.delete(offset);
  }

  ack(offset: bigint, handle: string): AckOutcome {
    const o = this.outstanding.get(offset);
    if (!o) return offset < this.nextScan ? 'already-done' : 'never-delivered';
    if (o.handle !== handle) return 'stale-handle';
    this.outstanding.delete(offset);
    return 'acked';
  }

  /** Keeps the log's bounds: retention may drop offsets, a recreated topic may start over. */
  clamp(logStart: bigint, highWatermark: bigint): void {
    if (this.nextScan < logStart) this.nextScan = logStart;
    if (this.nextScan > highWatermark) this.nextScan = highWatermark;
    for (const offset of [...this.outstanding.keys()]) {
      if (offset < logStart || offset >= highWatermark) this.outstanding.delete(offset);
    }
    if (this.committed > highWatermark) this.committed = highWatermark;
  }
}
