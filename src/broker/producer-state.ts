// Idempotent producers: per partition and producer id, the epoch and the
// sequence numbers of the last batches appended, as Kafka's
// ProducerStateManager keeps them.
//
// A batch from producer P with epoch E and sequences [first, last]:
// - E older than P's epoch here: fenced, INVALID_PRODUCER_EPOCH.
// - same E, and [first, last] equals one of P's last 5 batches: a retry of
//   a batch already written; answered with its offsets, not written again.
// - same E: first must be the last sequence + 1 (wrapping at 2^31-1), else
//   OUT_OF_ORDER_SEQUENCE_NUMBER.
// - a newer E must start at sequence 0; a producer with no state here (new,
//   or its state was lost) may start anywhere, as Kafka allows since KIP-360.

export const DEDUPE_BATCHES = 5;
const SEQUENCE_MAX = 2 ** 31 - 1;

export interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  baseOffset: bigint;
  lastOffset: bigint;
}

export interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
  /** The last batch's maxTimestamp (ms), -1 if not known (DescribeProducers' LastTimestamp). */
  lastTimestamp: bigint;
}

/** A producer as DescribeProducers shows it. */
export interface ProducerSummary {
  producerId: bigint;
  epoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: bigint; lastOffset: bigint }
  | { kind: 'error'; code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH'; message: string };

export function lastSequence(baseSequence: number, recordCount: number): number {
  return (baseSequence + recordCount - 1) % (SEQUENCE_MAX + 1);
}

function follows(lastSeq: number, firstSeq: number): boolean {
  return firstSeq === (lastSeq === SEQUENCE_MAX ? 0 : lastSeq + 1);
}

export class ProducerStateTable {
  private readonly partitions = new Map<string, Map<bigint, ProducerEntry>>();
  /** Counts the batches and markers recorded: a snapshot is due only once it moves (producer-snapshots.ts). */
  changes = 0;

  check(partition: string, producerId: bigint, epoch: number, baseSequence: number, recordCount: number): SequenceCheck {
    const entry = this.partitions.get(partition)?.get(producerId);
    if (entry === undefined) return { kind: 'append' };
    const firstSeq = baseSequence;
    const lastSeq = lastSequence(baseSequence, recordCount);
    if (epoch < entry.epoch) {
      return { kind: 'error', code: 'INVALID_PRODUCER_EPOCH', message: `producer ${producerId} epoch ${epoch} is older than ${entry.epoch}` };
    }
    if (epoch > entry.epoch) {
      if (firstSeq !== 0) {
        return { kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `producer ${producerId}: new epoch ${epoch} must start at sequence 0, not ${firstSeq}` };
      }
      return { kind: 'append' };
    }
    const dup = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset, lastOffset: dup.lastOffset };
    const last = entry.batches.at(-1);
    if (last && !follows(last.lastSeq, firstSeq)) {
      return { kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `producer ${producerId}: sequence ${firstSeq} does not follow ${last.lastSeq}` };
    }
    return { kind: 'append' };
  }

  /** Records a batch that was appended (or found in the log at startup). */
  record(partition: string, producerId: bigint, epoch: number, baseSequence: number, recordCount: number, baseOffset: bigint, lastOffset: bigint, timestampMs = -1n): void {
    this.changes++;
    let byProducer = this.partitions.get(partition);
    if (!byProducer) this.partitions.set(partition, (byProducer = new Map()));
    let entry = byProducer.get(producerId);
    if (!entry || epoch > entry.epoch) byProducer.set(producerId, (entry = { epoch, batches: [], lastTimestamp: -1n }));
    entry.lastTimestamp = timestampMs;
    entry.batches.push({ firstSeq: baseSequence, lastSeq: lastSequence(baseSequence, recordCount), baseOffset, lastOffset });
    if (entry.batches.length > DEDUPE_BATCHES) entry.batches.shift();
  }

  /**
   * A transaction marker of the producer at `epoch`: a newer epoch than the
   * one known (the coordinator fenced the producer) rejects the older
   * one's batches from here on, as Kafka's marker does.
   */
  onMarker(partition: string, producerId: bigint, epoch: number): void {
    this.changes++;
    let byProducer = this.partitions.get(partition);
    if (!byProducer) this.partitions.set(partition, (byProducer = new Map()));
    const entry = byProducer.get(producerId);
    if (!entry || epoch > entry.epoch) byProducer.set(producerId, { epoch, batches: [], lastTimestamp: entry?.lastTimestamp ?? -1n });
  }

  /** The partition's producers, by id. */
  producers(partition: string): ProducerSummary[] {
    return [...(this.partitions.get(partition) ?? new Map<bigint, ProducerEntry>()).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([producerId, e]) => ({ producerId, epoch: e.epoch, lastSequence: e.batches.at(-1)?.lastSeq ?? -1, lastTimestamp: e.lastTimestamp }));
  }

  /** After DeleteRecords, as Kafka's: producers whose last batch lies wholly below the new log start are forgotten. */
  truncateHead(partition: string, logStartOffset: bigint): void {
    const byProducer = this.partitions.get(partition);
    if (!byProducer) return;
    for (const [id, e] of byProducer) if ((e.batches.at(-1)?.lastOffset ?? -1n) < logStartOffset) byProducer.delete(id);
  }

  /** The partition's producers by id, as a snapshot keeps them (producer-snapshot.ts). */
  entriesOf(partition: string): ReadonlyMap<bigint, Readonly<ProducerEntry>> {
    return this.partitions.get(partition) ?? new Map<bigint, ProducerEntry>();
  }

  /** A partition's producers from a snapshot, in place of any it had. */
  restore(partition: string, entries: ReadonlyMap<bigint, ProducerEntry>): void {
    if (entries.size === 0) this.partitions.delete(partition);
    else this.partitions.set(partition, new Map([...entries].map(([id, e]) => [id, { epoch: e.epoch, batches: e.batches.map((b) => ({ ...b })), lastTimestamp: e.lastTimestamp }])));
  }

  forgetPartition(partition: string): void {
    this.partitions.delete(partition);
  }

  get producerCount(): number {
    let n = 0;
    for (const m of this.partitions.values()) n += m.size;
    return n;
  }
}
