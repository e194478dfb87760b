// What each partition's leader knows of transactions (Kafka keeps it in
// ProducerStateManager and the .txnindex files): the first offset of every
// open transaction, which holds the last stable offset (LSO) down, and the
// aborted transactions a read_committed fetch must be told of.
//
// It is rebuilt at startup from the batch headers of the log (the broker's
// startup scan reads them anyway for producer sequences), so it needs no
// file of its own: a transactional batch opens its producer's transaction
// on the partition, a marker ends it.

export interface AbortedTxn {
  producerId: bigint;
  /** The transaction's first offset on the partition. */
  firstOffset: bigint;
  /** The offset of its abort marker. */
  lastOffset: bigint;
}

export interface PartitionState {
  /** Open transactions: producer id -> first offset. */
  open: Map<bigint, bigint>;
  /** Aborted transactions, in the order of their markers (so by lastOffset). */
  aborted: AbortedTxn[];
}

export class PartitionTxns {
  private readonly partitions = new Map<string, PartitionState>();
  /** Counts the data batches and markers seen: a snapshot is due only once it moves (producer-snapshots.ts). */
  changes = 0;

  private state(key: string): PartitionState {
    let s = this.partitions.get(key);
    if (!s) this.partitions.set(key, (s = { open: new Map(), aborted: [] }));
    return s;
  }

  /** A transactional data batch at `baseOffset`: opens the producer's transaction here unless open already. */
  onData(key: string, producerId: bigint, baseOffset: bigint): void {
    this.changes++;
    const s = this.state(key);
    if (!s.open.has(producerId)) s.open.set(producerId, baseOffset);
  }

  /** A marker at `offset`: the producer's transaction here ends; an abort is remembered for read_committed fetches. */
  onMarker(key: string, producerId: bigint, type: 'commit' | 'abort', offset: bigint): void {
    this.changes++;
    const s = this.state(key);
    const first = s.open.get(producerId);
    s.open.delete(producerId);
    if (type === 'abort' && first !== undefined) s.aborted.push({ producerId, firstOffset: first, lastOffset: offset });
  }

  /** Whether the producer has a transaction open here (it wrote data and no marker yet). */
  isOpen(key: string, producerId: bigint): boolean {
    return this.partitions.get(key)?.open.has(producerId) ?? false;
  }

  /** The first offset of the producer's open transaction here, or -1. */
  openSince(key: string, producerId: bigint): bigint {
    return this.partitions.get(key)?.open.get(producerId) ?? -1n;
  }

  /** The last stable offset: the first offset of the oldest open transaction, else the high watermark. */
  lastStableOffset(key: string, highWatermark: bigint): bigint {
    const s = this.partitions.get(key);
    let lso = highWatermark;
    if (s) for (const first of s.open.values()) if (first < lso) lso = first;
    return lso;
  }

  /**
   * The aborted transactions a fetch of [from, to) must be told of: those
   * whose records may lie in it (first offset below `to`) and whose marker
   * is not before it (last offset at or after `from`), as Kafka's
   * collectAbortedTxns answers.
   */
  abortedIn(key: string, from: bigint, to: bigint): AbortedTxn[] {
    const s = this.partitions.get(key);
    if (!s || s.aborted.length === 0) return [];
    // Markers are in offset order: skip those before `from` by binary search.
    let lo = 0;
    for (let hi = s.aborted.length; lo < hi; ) {
      const mid = (lo + hi) >> 1;
      if (s.aborted[mid]!.lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    const out: AbortedTxn[] = [];
    for (let i = lo; i < s.aborted.length; i++) {
      const a = s.aborted[i]!;
      if (a.firstOffset < to) out.push(a);
    }
    return out;
  }

  /** After retention or DeleteRecords: aborted transactions whose marker lies below the log start are of no use. */
  truncateHead(key: string, logStartOffset: bigint): void {
    const s = this.partitions.get(key);
    if (!s) return;
    const keep = s.aborted.findIndex((a) => a.lastOffset >= logStartOffset);
    s.aborted.splice(0, keep < 0 ? s.aborted.length : keep);
  }

  /** The partition's open and aborted transactions, as a snapshot keeps them (producer-snapshot.ts); null: none. */
  stateOf(key: string): Readonly<PartitionState> | null {
    const s = this.partitions.get(key);
    return s && (s.open.size > 0 || s.aborted.length > 0) ? s : null;
  }

  /** A partition's transactions from a snapshot, in place of any it had. */
  restore(key: string, state: PartitionState): void {
    this.partitions.set(key, { open: new Map(state.open), aborted: state.aborted.map((a) => ({ ...a })) });
  }

  forgetPartition(key: string): void {
    this.partitions.delete(key);
  }
}
