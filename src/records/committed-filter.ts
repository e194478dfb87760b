// What a read_committed consumer does with a fetch's batches, as Kafka's
// clients do it (the Java Fetcher, librdkafka): the fetch response lists the
// aborted transactions (producer id, first offset) its records may hold; a
// transactional batch of a producer whose aborted transaction has begun at
// or before the batch's end is dropped, until that producer's abort marker.
// Control batches (the markers) are never shown to the application. Used
// by mqlab's console consumer and by RocketMQ receives of Kafka topics.
import { isControl, isTransactional, type BatchHeader } from './batch-header.js';
import { markerTypeAt } from './control.js';

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export class CommittedFilter {
  private readonly pending: AbortedTransaction[];
  private readonly aborting = new Set<bigint>();

  /** `aborted`: the fetch response's list for this partition (null or empty for read_uncommitted). */
  constructor(aborted: readonly AbortedTransaction[] | null) {
    // Made for every RocketMQ receive's read, nearly always with none: no copy, no sort.
    this.pending = aborted === null || aborted.length === 0 ? [] : [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /** Whether the application sees the records of the batch at `at` in `buf`; call for every batch in offset order. */
  keep(h: BatchHeader, buf: Buffer, at: number): boolean {
    if (isControl(h.attributes)) {
      if (markerTypeAt(buf, at) === 'abort') this.aborting.delete(h.producerId);
      return false;
    }
    if (!isTransactional(h.attributes)) return true;
    const last = h.baseOffset + BigInt(h.lastOffsetDelta);
    while (this.pending.length > 0 && this.pending[0]!.firstOffset <= last) this.aborting.add(this.pending.shift()!.producerId);
    return !this.aborting.has(h.producerId);
  }
}
