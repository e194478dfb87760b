// When the broker snapshots its producer state and how a start uses the
// snapshot (the file: producer-snapshot-file.ts). A start restores each
// partition the snapshot still describes and scans the log only past the
// snapshot's offset; the rest are scanned from their log start, as before
// snapshots. Snapshots are written right after that (the one read no
// longer holds once this run appends), at a clean stop and, while the logs
// grow, every `intervalMs` (off the event loop).
import { join } from 'node:path';
import { tpKey, type StorageEngine } from '../storage/types.js';
import { rebuildProducerState } from './log-scan.js';
import { removeFileDurably, writeFileAtomic, writeFileAtomicAsync } from './atomic-file.js';
import { encodeSnapshot, readSnapshot, SNAPSHOT_FILE, type PartitionSnapshot } from './producer-snapshot-file.js';
import type { ProducerStateTable } from './producer-state.js';
import type { TopicRegistry } from './topics.js';
import type { Transactions } from './txn/transactions.js';

export interface RestoreReport {
  partitions: number;
  /** Partitions whose state came from the snapshot (scanned only past its offset). */
  fromSnapshot: number;
  /** Why the snapshot was not read at all, or null. */
  unreadable: string | null;
}

export class ProducerSnapshots {
  private readonly path: string;
  private timer: NodeJS.Timeout | null = null;
  /** What the last snapshot (or the start) saw: the state's changes and the logs' ends, summed. */
  private lastSignature = -1;
  /** A periodic snapshot being written: the next waits for it, and so does the one at a clean stop. */
  private writing: Promise<void> | null = null;

  constructor(
    dataDir: string,
    private readonly engine: StorageEngine,
    private readonly topics: TopicRegistry,
    private readonly producers: ProducerStateTable,
    private readonly transactions: Transactions,
    private readonly log: (message: string) => void,
  ) {
    this.path = join(dataDir, SNAPSHOT_FILE);
  }

  /**
   * Producer state for every partition: from the snapshot where it still
   * holds, else from the log's start; then a snapshot of this start in its
   * place. Throws only where the old snapshot can be neither replaced nor
   * removed: a later start could apply it to a log this run changes.
   */
  restore(): RestoreReport {
    let snapshot = new Map<string, PartitionSnapshot>();
    let unreadable: string | null = null;
    try {
      snapshot = readSnapshot(this.path);
    } catch (err) {
      unreadable = (err as Error).message;
      this.log(`producer state: the snapshot ${this.path} was not used (${unreadable}): every log is scanned from its start`);
    }
    const report: RestoreReport = { partitions: 0, fromSnapshot: 0, unreadable };
    for (const tp of this.engine.partitions()) {
      report.partitions++;
      const key = tpKey(tp);
      const s = snapshot.get(key);
      // The same topic (not one deleted and made again under its name), and a
      // log that still holds the snapshot's offset: not cut back below it by a
      // crash, nor its start moved past it (what was written between would go
      // unseen: a marker that ended a transaction the snapshot has open).
      if (s !== undefined && s.topicId === this.topics.get(tp.topic)?.id && this.engine.logStartOffset(tp) <= s.endOffset && s.endOffset <= this.engine.highWatermark(tp)) {
        this.producers.restore(key, s.producers);
        this.transactions.partitions.restore(key, s.txns);
        rebuildProducerState(this.engine, tp, this.producers, this.transactions, s.endOffset);
        // What retention or DeleteRecords dropped since: as the live broker drops it.
        const logStart = this.engine.logStartOffset(tp);
        this.producers.truncateHead(key, logStart);
        this.transactions.partitions.truncateHead(key, logStart);
        report.fromSnapshot++;
      } else {
        rebuildProducerState(this.engine, tp, this.producers, this.transactions);
      }
    }
    if (report.partitions > 0) this.log(`recovery: producer state of ${report.partitions} partitions: ${report.fromSnapshot} from the snapshot (their logs scanned past its offsets), ${report.partitions - report.fromSnapshot} scanned from their log start`);
    // A snapshot of this run in its place: one left as it was could meet a log a later crash cuts back below its offsets and this run writes again.
    if (!this.writeNow(this.encode())) {
      try {
        removeFileDurably(this.path);
      } catch (err) {
        throw new Error(`the producer-state snapshot ${this.path} can be neither replaced nor removed (${(err as Error).message}); remove it before starting: a later start could apply it to logs this run changes`);
      }
    }
    this.lastSignature = this.signature();
    return report;
  }

  /** Snapshots every `intervalMs` while the state or the logs change (0: only at start and at a clean stop). */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.writing !== null) return;
      const now = this.signature();
      if (now === this.lastSignature) return;
      this.lastSignature = now;
      const bytes = this.encode();
      this.writing = writeFileAtomicAsync(this.path, bytes, { syncDir: true })
        .catch((err: Error) => this.log(`producer state: writing the snapshot failed: ${err.message}`))
        .finally(() => {
          this.writing = null;
        });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic snapshots, once the one being written (if any) is written. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.writing;
  }

  /**
   * The snapshot's bytes for every partition now: made in one turn of the
   * event loop, in which appends assign offsets and record their producers
   * together (Broker.produce), so each partition's state is exactly that of
   * the batches below the offset taken with it.
   */
  encode(): Buffer {
    const partitions: PartitionSnapshot[] = [];
    for (const tp of this.engine.partitions()) {
      const topic = this.topics.get(tp.topic);
      if (!topic) continue;
      const key = tpKey(tp);
      const txns = this.transactions.partitions.stateOf(key);
      partitions.push({ ...tp, topicId: topic.id, endOffset: this.engine.highWatermark(tp), producers: new Map(this.producers.entriesOf(key)), txns: txns ?? { open: new Map(), aborted: [] } });
    }
    return encodeSnapshot(partitions);
  }

  /** Writes encoded bytes at once; a failure is reported, not thrown (the next start scans more of the log). */
  writeNow(bytes: Buffer): boolean {
    try {
      writeFileAtomic(this.path, bytes, { syncDir: true });
      return true;
    } catch (err) {
      this.log(`producer state: writing the snapshot failed: ${(err as Error).message}`);
      return false;
    }
  }

  private signature(): number {
    let n = this.producers.changes + this.transactions.partitions.changes;
    for (const tp of this.engine.partitions()) n += Number(this.engine.highWatermark(tp));
    return n;
  }
}
