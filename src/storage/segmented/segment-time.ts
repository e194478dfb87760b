// The time lookup in one segment (ListOffsets by time), as Kafka's
// LogSegment.findOffsetByTimestamp does it: the time index names the batch
// from which to search (every batch before it ends before the time), the
// offset index gives a position at or before it; from there the batch
// heads are read up to the first batch whose maxTimestamp reaches the time,
// and that batch's records give the answer (records/time-search.ts). If
// none of its records does (a maxTimestamp above all of them), the search
// goes on to the next batch.
//
// The bytes are read in one pread: from that position to the end of the
// batch of the next time-index entry (the answer lies at or before it:
// that batch's maxTimestamp reaches the time), which ends at or before the
// next offset-index entry's position. With batches of 4 KiB or more whose
// timestamps rise, that is the batch the search starts at and the one it
// finds, exactly. Beyond MAX_READ_BYTES, and where the search must go on
// past the region, it reads on in preads of that size at most.
import { BATCH_HEADER_BYTES, firstRecordAtOrAfter, type RecordAtTime } from '../../records/index.js';
import { BatchReader } from './batch-reader.js';
import type { OffsetIndex, TimeIndex } from './sparse-index.js';

const MAX_READ_BYTES = 1024 * 1024;

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
    const { index, timeIndex: times } = this.seg;
    if (this.seg.maxTimestamp < timestampMs) return null;
    const i = times.lastAtOrBelow(timestampMs);
    let pos = index.lookup(i < 0 ? 0 : times.relativeOffsetAt(i)).position;
    // The entry whose batch holds the answer at the latest: this one if it
    // has the very time, else the next.
    const last = i >= 0 && times.timestampAt(i) === timestampMs ? i : i + 1;
    let to = this.seg.size;
    if (last < times.entryCount) {
      const e = index.floor(times.relativeOffsetAt(last)) + 1;
      if (e < index.entryCount) to = Math.min(to, index.positionAt(e));
    }
    reader.begin(this.seg.fd, this.seg.size, Math.min(MAX_READ_BYTES, Math.max(to - pos, BATCH_HEADER_BYTES)));
    const reads = reader.reads;
    try {
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
