// What a peer run measures while it runs: per phase, messages published
// (acknowledged) and failed, received per subscription, publish latency
// (send to acknowledgement), publish delay (intended send time to actual,
// for paced runs) and end-to-end latency (the payload's stamp to the
// consumer callback); sampled each second into OpenMessaging Benchmark's
// time series. Across phases, which sequences each producer had
// acknowledged and which each subscription saw, for exact lost and
// duplicated counts.
import type { RecordableHistogram } from 'node:perf_hooks';
import { IntegrityTracker } from '../../client/load/integrity.js';
import { newLatencyHistogram, recordMicros, summarize, type LatencySummary } from '../../client/load/histogram.js';
import { nowMs, readStamp } from './payload.js';

/** One second (or the last part of one) of a phase, in OMB's terms. */
export interface Interval {
  seconds: number;
  publishRate: number;
  publishErrorRate: number;
  consumeRate: number;
  backlog: number;
  publishLatency: LatencySummary;
  publishDelayMicros: LatencySummary;
  endToEnd: LatencySummary;
}

export interface PhaseFigures {
  /** From the phase's start to the producers' stop. */
  seconds: number;
  /** From the phase's start to its end (the last receipt, or giving up on it). */
  totalSeconds: number;
  published: number;
  publishErrors: number;
  /** Messages received over every subscription. */
  received: number;
  publishLatency: LatencySummary;
  publishDelayMicros: LatencySummary;
  endToEnd: LatencySummary;
  intervals: Interval[];
  /** Backlog (published × subscriptions − received) when the producers stopped. */
  backlogAtEnd: number;
}

class Histograms {
  publish = newLatencyHistogram();
  delay = newLatencyHistogram();
  e2e = newLatencyHistogram();
}

export class Meter {
  private phase: { started: number; ended: number | null; published: number; errors: number; received: number; whole: Histograms; now: Histograms; intervals: Interval[]; mark: { at: number; published: number; errors: number; received: number }; backlogAtEnd: number } | null = null;
  private ticker: NodeJS.Timeout | null = null;
  /** Per producer index, the sequences acknowledged. */
  readonly acked = new IntegrityTracker();
  readonly ackedCount = new Map<number, number>();
  readonly maxSequence = new Map<number, number>();
  /** Per subscription, the sequences seen. */
  readonly seen = new Map<string, IntegrityTracker>();
  totalPublished = 0;
  totalReceived = 0;
  /** Per topic, messages acknowledged. */
  private readonly publishedTo = new Map<string, number>();
  firstError: string | null = null;
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  constructor(
    /** Every subscription of the run (ids unique across topics) and its topic. */
    readonly subscriptions: readonly { id: string; topic: string }[],
    private readonly topicOf: (producer: number) => string,
  ) {
    for (const s of subscriptions) this.seen.set(s.id, new IntegrityTracker());
  }

  startPhase(): void {
    const at = performance.now();
    this.phase = { started: at, ended: null, published: 0, errors: 0, received: 0, whole: new Histograms(), now: new Histograms(), intervals: [], mark: { at, published: 0, errors: 0, received: 0 }, backlogAtEnd: 0 };
    this.ticker = setInterval(() => this.sample(), 1000);
  }

  /** The producers have stopped: the phase's publish time ends here; receipts still count until endPhase. */
  producersStopped(): void {
    if (!this.phase) return;
    this.phase.ended = performance.now();
    this.phase.backlogAtEnd = this.backlog();
  }

  endPhase(): PhaseFigures {
    const p = this.phase!;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.sample();
    this.phase = null;
    return {
      seconds: ((p.ended ?? performance.now()) - p.started) / 1000,
      totalSeconds: (performance.now() - p.started) / 1000,
      published: p.published,
      publishErrors: p.errors,
      received: p.received,
      publishLatency: summarize(p.whole.publish),
      publishDelayMicros: summarize(p.whole.delay),
      endToEnd: summarize(p.whole.e2e),
      intervals: p.intervals,
      backlogAtEnd: p.backlogAtEnd,
    };
  }

  private sample(): void {
    const p = this.phase;
    if (!p) return;
    const at = performance.now();
    const dt = (at - p.mark.at) / 1000;
    if (dt <= 0.05) return;
    p.intervals.push({
      seconds: dt,
      publishRate: (p.published - p.mark.published) / dt,
      publishErrorRate: (p.errors - p.mark.errors) / dt,
      consumeRate: (p.received - p.mark.received) / dt,
      backlog: this.backlog(),
      publishLatency: summarize(p.now.publish),
      publishDelayMicros: summarize(p.now.delay),
      endToEnd: summarize(p.now.e2e),
    });
    p.now = new Histograms();
    p.mark = { at, published: p.published, errors: p.errors, received: p.received };
  }

  /** Messages published but not yet received, summed over subscriptions. */
  backlog(): number {
    let n = 0;
    for (const s of this.subscriptions) n += (this.publishedTo.get(s.topic) ?? 0) - this.seen.get(s.id)!.received;
    return n;
  }

  /** Every subscription has seen each message acknowledged on its topic at least once. */
  private allIn(): boolean {
    return this.subscriptions.every((s) => {
      const t = this.seen.get(s.id)!;
      return t.received - t.duplicated >= (this.publishedTo.get(s.topic) ?? 0);
    });
  }

  onAck(producer: number, sequence: number, sentMs: number, intendedMs: number | null): void {
    const micros = (nowMs() - sentMs) * 1000;
    this.acked.add(BigInt(producer), sequence);
    this.ackedCount.set(producer, (this.ackedCount.get(producer) ?? 0) + 1);
    this.totalPublished++;
    const topic = this.topicOf(producer);
    this.publishedTo.set(topic, (this.publishedTo.get(topic) ?? 0) + 1);
    const p = this.phase;
    if (p) {
      p.published++;
      record(p, 'publish', micros);
      if (intendedMs !== null) record(p, 'delay', (sentMs - intendedMs) * 1000);
    }
    this.wake();
  }

  onSendError(err: unknown): void {
    this.firstError ??= err instanceof Error ? err.message : String(err);
    if (this.phase) this.phase.errors++;
  }

  noteSent(producer: number, sequence: number): void {
    if (sequence > (this.maxSequence.get(producer) ?? -1)) this.maxSequence.set(producer, sequence);
  }

  /** The consumer callback of one subscription. */
  receiver(subscription: string): (payload: Buffer) => void {
    const tracker = this.seen.get(subscription)!;
    return (payload) => {
      const s = readStamp(payload);
      if (!s) return;
      tracker.add(BigInt(s.producer), s.sequence);
      this.totalReceived++;
      const p = this.phase;
      if (p) {
        p.received++;
        record(p, 'e2e', (nowMs() - s.sentMs) * 1000);
      }
      this.wake();
    };
  }

  /** Resolves when every acknowledged message has reached every subscription, or after `idleMs` with nothing new arriving. */
  async drained(idleMs: number): Promise<boolean> {
    const done = (): boolean => this.allIn();
    let last = this.totalReceived;
    return new Promise((resolve) => {
      if (done()) return resolve(true);
      const check = setInterval(() => {
        if (this.totalReceived === last) finish(false);
        last = this.totalReceived;
      }, idleMs);
      const finish = (ok: boolean): void => {
        clearInterval(check);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(ok);
      };
      const waiter = { test: done, resolve: () => finish(true) };
      this.waiters.push(waiter);
    });
  }

  private wake(): void {
    for (const w of this.waiters) if (w.test()) w.resolve();
  }

  /** Lost (acknowledged, never seen) and duplicated counts of one subscription. */
  integrity(subscription: string): { sent: number; received: number; lost: number; duplicated: number } {
    const seen = this.seen.get(subscription)!;
    const topic = this.subscriptions.find((s) => s.id === subscription)!.topic;
    let lost = 0;
    let sent = 0;
    for (const [producer, max] of this.maxSequence) {
      if (this.topicOf(producer) !== topic) continue;
      const id = BigInt(producer);
      for (let q = 0; q <= max; q++) {
        if (!this.acked.has(id, q)) continue;
        sent++;
        if (!seen.has(id, q)) lost++;
      }
    }
    return { sent, received: seen.received, lost, duplicated: seen.duplicated };
  }
}

function record(p: { whole: Histograms; now: Histograms }, which: 'publish' | 'delay' | 'e2e', micros: number): void {
  const h = (x: Histograms): RecordableHistogram => (which === 'publish' ? x.publish : which === 'delay' ? x.delay : x.e2e);
  recordMicros(h(p.whole), micros);
  recordMicros(h(p.now), micros);
}
