// Reading an internal topic back at startup (committed offsets, the pop
// journal): every record's key and value in offset order, batch by batch.
import { decodeBatch } from '../records/index.js';
import { readBytesAt } from '../storage/read-bytes.js';
import type { StorageEngine, TopicPartition } from '../storage/types.js';

const READ_BYTES = 4 * 1024 * 1024;
const BATCH_HEADER_MIN = 61;

export function replayTopic(engine: StorageEngine, tp: TopicPartition, apply: (key: Buffer, value: Buffer | null) => void): void {
  let offset = engine.logStartOffset(tp);
  const hw = engine.highWatermark(tp);
  while (offset < hw) {
    const bytes = readBytesAt(engine, tp, offset, READ_BYTES);
    let at = 0;
    let progressed = false;
    while (at + BATCH_HEADER_MIN <= bytes.length) {
      const size = bytes.readInt32BE(at + 8) + 12;
      if (at + size > bytes.length) break;
      const { header, records } = decodeBatch(bytes, at);
      for (const r of records) apply(r.key!, r.value);
      offset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      at += size;
      progressed = true;
    }
    if (!progressed) throw new Error(`${tp.topic}: cannot read on from offset ${offset}`);
  }
}
