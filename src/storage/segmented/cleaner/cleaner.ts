// The log cleaner of the segmented engine: one background loop (Kafka runs
// log.cleaner.threads = 1 by default too) that picks the compacted
// partition most in need (plan.ts: the highest dirty ratio; a forced one,
// by max.compaction.lag.ms or a due tombstone horizon, first), cleans it
// (clean-pass.ts) within the I/O budget, and looks again; when nothing
// needs cleaning it waits log.cleaner.backoff.ms. Everything it does is in
// the broker's process and event loop: its reads and writes are chunked,
// with the loop free between chunks, so produce and fetch go on meanwhile.
//
// A failure (a full disk, a corrupt batch, a key map too small for one
// batch) is reported and the partition left as it was, and skipped until
// it changes (its high watermark moves); the broker keeps serving it.
import { setTimeout as delay } from 'node:timers/promises';
import type { CleanerSettings, CleanResult, CompactionPolicy, LogCleanerControl, TopicPartition } from '../../types.js';
import type { PartitionLog } from '../partition-log.js';
import { readCheckpoint } from './checkpoint.js';
import { cleanPartition } from './clean-pass.js';
import { OffsetMap } from './offset-map.js';
import { planCleaning, type CleanPlan } from './plan.js';
import { CleaningStopped, ScanContext } from './segment-scan.js';
import { IoThrottle } from './throttle.js';

export interface CleanerHost {
  /** The partitions now, with their logs. */
  logs(): Iterable<{ tp: TopicPartition; log: PartitionLog }>;
  /** False once the log is deleted or closed. */
  isCurrent(tp: TopicPartition, log: PartitionLog): boolean;
  /** .log paths of segments swapped out. */
  retired(paths: string[]): void;
  now(): number;
  log(message: string): void;
}

export class LogCleaner implements LogCleanerControl {
  private readonly listeners: ((r: CleanResult) => void)[] = [];
  private readonly stopper = new AbortController();
  private readonly throttle: IoThrottle;
  private map: OffsetMap | null = null;
  private loop: Promise<void> | null = null;
  /** A cleaning under way (runNow and the loop take turns). */
  private busy: Promise<unknown> = Promise.resolve();
  /** Partitions whose last cleaning failed, by the high watermark they had then. */
  private readonly failedAt = new Map<PartitionLog, number>();
  private counters = { cleanings: 0, failures: 0, bytesRead: 0, bytesWritten: 0, recordsRemoved: 0, throttledMs: 0 };

  constructor(
    private readonly host: CleanerHost,
    private readonly settings: CleanerSettings,
    private readonly policyFor: (tp: TopicPartition) => CompactionPolicy | null,
  ) {
    this.throttle = new IoThrottle(settings.ioBytesPerSecond, () => performance.now());
    // Fail at start, not at the first cleaning, if the setting cannot work.
    if (!(settings.dedupeBufferBytes >= 2 * OffsetMap.entryBytes)) throw new RangeError(`log.cleaner.dedupe.buffer.size ${settings.dedupeBufferBytes} holds fewer than two keys (${OffsetMap.entryBytes} bytes each)`);
  }

  /** Starts the background loop. */
  start(): void {
    this.loop ??= this.run().catch((err: Error) => this.host.log(`log cleaner stopped: ${err.message}`));
  }

  onCleaned(listener: (r: CleanResult) => void): void {
    this.listeners.push(listener);
  }

  private async run(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      const did = await this.turn(() => this.cleanOne());
      if (did === null && !this.stopper.signal.aborted) {
        await delay(this.settings.backoffMs, undefined, { signal: this.stopper.signal, ref: false }).catch(() => undefined);
      }
    }
  }

  /** Runs `f` once no other cleaning is under way. */
  private turn<T>(f: () => Promise<T>): Promise<T> {
    const next = this.busy.then(f, f);
    this.busy = next.catch(() => undefined);
    return next;
  }

  async runNow(): Promise<CleanResult[]> {
    return this.turn(async () => {
      const done: CleanResult[] = [];
      const seen = new Set<PartitionLog>();
      for (;;) {
        const r = await this.cleanOne(seen);
        if (r === null) return done;
        done.push(r);
      }
    });
  }

  /** Cleans the partition most in need (skipping `seen`); null if none needs it. */
  private async cleanOne(seen = new Set<PartitionLog>()): Promise<CleanResult | null> {
    for (;;) {
      if (this.stopper.signal.aborted) return null;
      const pick = this.pick(seen);
      if (pick === null) return null;
      seen.add(pick.log);
      const r = await this.clean(pick.tp, pick.log, pick.plan, pick.policy);
      if (r !== null) return r;
    }
  }

  private pick(seen: Set<PartitionLog>): { tp: TopicPartition; log: PartitionLog; plan: CleanPlan; policy: CompactionPolicy } | null {
    const nowMs = this.host.now();
    let best: { tp: TopicPartition; log: PartitionLog; plan: CleanPlan; policy: CompactionPolicy } | null = null;
    for (const { tp, log } of this.host.logs()) {
      if (seen.has(log)) continue;
      const policy = this.policyFor(tp);
      if (policy === null) continue;
      const failed = this.failedAt.get(log);
      if (failed !== undefined && failed === log.nextOffset) continue;
      const plan = planCleaning(log, policy, readCheckpoint(log.dir), nowMs);
      if (plan === null) continue;
      const rank = (p: CleanPlan): number => (p.reason === 'dirty-ratio' ? p.ratio : 2);
      if (best === null || rank(plan) > rank(best.plan)) best = { tp, log, plan, policy };
    }
    return best;
  }

  private async clean(tp: TopicPartition, log: PartitionLog, plan: CleanPlan, policy: CompactionPolicy): Promise<CleanResult | null> {
    this.map ??= new OffsetMap(this.settings.dedupeBufferBytes);
    const waitedBefore = this.throttle.waitedMs;
    const scan = new ScanContext(this.throttle, this.stopper.signal);
    try {
      const r = await cleanPartition({ tp, log, plan, policy, map: this.map, scan, nowMs: this.host.now(), current: () => this.host.isCurrent(tp, log), retired: (paths) => this.host.retired(paths) });
      this.failedAt.delete(log);
      if (r === null) return null;
      r.throttledMs = this.throttle.waitedMs - waitedBefore;
      this.counters.cleanings++;
      this.counters.bytesRead += r.bytesRead;
      this.counters.bytesWritten += r.bytesWritten;
      this.counters.recordsRemoved += r.recordsRead - r.recordsKept;
      this.counters.throttledMs += r.throttledMs;
      for (const l of this.listeners) l(r);
      return r;
    } catch (err) {
      if (err instanceof CleaningStopped || this.stopper.signal.aborted) return null;
      this.counters.failures++;
      this.failedAt.set(log, log.nextOffset);
      this.host.log(`log cleaner: ${tp.topic}-${tp.partition}: cleaning failed, left as it was: ${(err as Error).message}`);
      return null;
    }
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
    await this.busy;
  }

  stats(): Record<string, number> {
    // ioBytes moves while a cleaning runs; the others when one ends.
    return { ...this.counters, ioBytes: this.throttle.bytes, keyMapBytes: this.map?.memoryBytes ?? 0 };
  }
}
