// End-to-end latency of a consumer of a new group, counted from the moment
// it has its assignment: a new group's first join waits out
// group.initial.rebalance.delay.ms, and records sent meanwhile would carry
// that wait into the percentiles though no fetch was slow. Times are
// epoch ms from nowMs() (producer-thread.ts), comparable across threads.
import { newLatencyHistogram, recordMicros, summarize, type LatencySummary } from '../../client/load/histogram.js';
import { nowMs, type ProducerThread } from '../../client/load/producer-thread.js';

export interface NewGroupOptions {
  bootstrap: string;
  topic: string;
  groupId: string;
  /** Where the new group starts reading: earliest, else latest (the default of Kafka's consumer and of kafkajs). */
  fromBeginning: boolean;
  producer: ProducerThread;
  /** Records sent this long after the assignment are measured; the first one sent later ends the run. */
  windowMs: number;
  /** The whole run, join included, fails after this long. */
  boundMs: number;
}

export interface AssignedRun {
  /** From the consumer's first connection to its assignment. */
  joinMs: number;
  /** From the assignment to holding the first record sent after it. */
  firstAfterMs: number;
  /**
   * From the assignment to the send time of that first record: more than a
   * send interval means records sent in between were behind the offset the
   * consumer started from (looked up after the assignment), never received.
   */
  firstSentAfterMs: number;
  /** Records sent in the window after the assignment. */
  afterAssignment: LatencySummary;
  /** Those of them sent a second or more after it: what is left once the consumer has warmed up. */
  afterFirstSecond: LatencySummary;
  /** Every record received, those sent before the assignment included. */
  all: LatencySummary;
  /** The largest latency of the records sent in each bucket of the window, by send time since the assignment (null: none received). */
  timeline: { bucketMs: number; maxMs: (number | null)[] };
  /** The client's own view of its requests after the assignment, where it reports them (kafkajs's REQUEST events). */
  requests?: ClientRequests[];
}

export interface ClientRequests {
  api: string;
  count: number;
  /** Written to answer read, as the client timed it. */
  roundTripP99Ms: number;
  roundTripMaxMs: number;
  /** Held in the client's own queue before being written. */
  queuedP99Ms: number;
  queuedMaxMs: number;
}

const BUCKET_MS = 100;

export class AfterAssignment {
  private readonly started = nowMs();
  private assignedAt = 0;
  private firstAfterMs = NaN;
  private firstSentAfterMs = NaN;
  private readonly after = newLatencyHistogram();
  private readonly settled = newLatencyHistogram();
  private readonly every = newLatencyHistogram();
  private readonly worst: (number | null)[] = [];
  private ended = false;
  private finish!: () => void;
  /** Resolves once a record sent windowMs or more after the assignment has arrived. */
  readonly over = new Promise<void>((resolve) => (this.finish = resolve));

  /** Starts the clock of the join: call before the consumer connects. */
  constructor(private readonly windowMs: number) {}

  /** The consumer has its assignment; later calls (a rebalance) do not move it. */
  assigned(at = nowMs()): void {
    this.assignedAt ||= at;
  }

  /** A record sent at sentMs, held since receivedMs. Returns true once the window is over. */
  record(sentMs: number, receivedMs: number): boolean {
    if (this.ended) return true;
    recordMicros(this.every, (receivedMs - sentMs) * 1000);
    if (this.assignedAt === 0 || sentMs < this.assignedAt) return false;
    if (sentMs >= this.assignedAt + this.windowMs) {
      this.ended = true;
      this.finish();
      return true;
    }
    if (Number.isNaN(this.firstAfterMs)) {
      this.firstAfterMs = receivedMs - this.assignedAt;
      this.firstSentAfterMs = sentMs - this.assignedAt;
    }
    recordMicros(this.after, (receivedMs - sentMs) * 1000);
    if (sentMs >= this.assignedAt + 1000) recordMicros(this.settled, (receivedMs - sentMs) * 1000);
    const bucket = Math.floor((sentMs - this.assignedAt) / BUCKET_MS);
    while (this.worst.length <= bucket) this.worst.push(null);
    this.worst[bucket] = Math.max(this.worst[bucket] ?? 0, receivedMs - sentMs);
    return false;
  }

  /** Why a run that did not end in time did not: for its error. */
  get stage(): string {
    return this.assignedAt === 0 ? 'no assignment yet' : `assigned, but no record sent ${this.windowMs / 1000} s after the assignment arrived`;
  }

  result(): AssignedRun {
    return { joinMs: this.assignedAt - this.started, firstAfterMs: this.firstAfterMs, firstSentAfterMs: this.firstSentAfterMs, afterAssignment: summarize(this.after), afterFirstSecond: summarize(this.settled), all: summarize(this.every), timeline: { bucketMs: BUCKET_MS, maxMs: this.worst } };
  }
}
