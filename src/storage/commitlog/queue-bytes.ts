// Bytes of a queue's batches in the shared log (DescribeLogDirs): summed from
// its consume queue, 20 bytes read per offset, each batch counted once.
import type { ConsumeQueue } from './consume-queue.js';
import { CQ_ENTRY_BYTES, readCqEntry } from './cq-entry.js';
import type { ReadCounters } from './read-path.js';

const CHUNK_ENTRIES = 4096;

export function queueBatchBytes(cq: ConsumeQueue, counters: ReadCounters): number {
  const buf = Buffer.allocUnsafe(CHUNK_ENTRIES * CQ_ENTRY_BYTES);
  let total = 0;
  let lastPosition = -1;
  for (let o = cq.startOffset; o < cq.nextOffset; o += CHUNK_ENTRIES) {
    const n = Math.min(CHUNK_ENTRIES, cq.nextOffset - o);
    const entries = cq.read(o, n, buf);
    counters.consumeQueueReads++;
    for (let i = 0; i < n; i++) {
      const e = readCqEntry(entries, i * CQ_ENTRY_BYTES);
      // Every offset of a batch points at the batch: count each once.
      if (e.batchPosition !== lastPosition) total += e.batchBytes;
      lastPosition = e.batchPosition;
    }
  }
  return total;
}
