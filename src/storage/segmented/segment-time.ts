// The time lookup in one segment (ListOffsets by time), as Kafka's
// LogSegment.findOffsetByTimestamp does it: the time index names the last
// batch known to end before the time, the offset index gives a position at
// or before it; from there the batch heads are read up to the first batch
// whose maxTimestamp reaches the time, and that batch's records give the
// answer (records/time-search.ts). If none of its records does (a
// maxTimestamp above all of them), the scan goes on to the next batch.
//
// One pread of a 64 KiB chunk from that position usually holds the heads
// and the batch found; a batch that runs past the chunk costs one more
// pread, of that batch.
import { firstRecordAtOrAfter, type RecordAtTime } from '../../records/index.js';
import { BatchReader } from './batch-reader.js';
import type { OffsetIndex, TimeIndex } from './sparse-index.js';

/** What a lookup needs of its segment, read live (appends move them). */
export interface TimeLookupView {
  readonly fd: number;
  readonly size: number;
  readonly maxTimestamp: number;
  readonly index: OffsetIndex;
  readonly timeIndex: TimeIndex;
}

/** Shared by every segment: lookups are synchronous and never nest, and begin() forgets what it held. */
const reader = new BatchReader(-1, 0);

export class SegmentTimeLookup {
  /** preads done by lookups. */
  reads = 0;

  constructor(private readonly seg: TimeLookupView) {}

  /** The first record with timestamp >= `timestampMs` in this segment, or null. */
  find(timestampMs: number): RecordAtTime | null {
    if (this.seg.maxTimestamp < timestampMs) return null;
    reader.begin(this.seg.fd, this.seg.size);
    const reads = reader.reads;
    try {
      let pos = this.seg.index.lookup(this.seg.timeIndex.scanStart(timestampMs)).position;
      for (let b = reader.at(pos, false); b !== null; b = reader.at(pos, false)) {
        if (b.maxTimestamp >= timestampMs) {
          const whole = reader.at(pos, true);
          if (whole === null) return null; // torn: nothing readable from here on
          const found = firstRecordAtOrAfter(whole.bytes!, whole.at, timestampMs);
          if (found !== null) return found;
        }
        pos += b.size;
      }
      return null;
    } finally {
      this.reads += reader.reads - reads;
    }
  }
}
