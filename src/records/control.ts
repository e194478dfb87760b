// Transaction markers: the control batches a transaction coordinator writes
// to every partition of a transaction when it commits or aborts (Kafka's
// EndTransactionMarker). One record, no sequence, the producer's id and
// epoch, attributes transactional + control:
//   key   int16 version (0), int16 type (0 abort, 1 commit)
//   value int16 version (0), int32 coordinator epoch
// Consumers drop control batches; read_committed ones use the markers to
// end the aborted transactions the fetch response lists.
import { encodeBatch, decodeBatch } from './batch.js';
import { isControl, readBatchHeader } from './batch-header.js';

export type MarkerType = 'abort' | 'commit';

const CONTROL_VERSION = 0;

export function encodeMarker(type: MarkerType, producerId: bigint, producerEpoch: number, coordinatorEpoch: number, timestampMs: bigint): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_VERSION, 0);
  key.writeInt16BE(type === 'commit' ? 1 : 0, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(CONTROL_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return encodeBatch({
    baseTimestamp: timestampMs,
    producerId,
    producerEpoch,
    transactional: true,
    control: true,
    records: [{ key, value, headers: [] }],
  });
}

/**
 * The marker type of the control batch at `at`, or null for a control
 * record of another kind (Kafka has others: leader change, snapshots) or a
 * batch that is not a control batch.
 */
export function markerTypeAt(buf: Buffer, at: number): MarkerType | null {
  if (!isControl(readBatchHeader(buf, at).attributes)) return null;
  const key = decodeBatch(buf, at, { verifyCrc: false }).records[0]?.key;
  if (!key || key.length < 4) return null;
  const type = key.readInt16BE(2);
  return type === 1 ? 'commit' : type === 0 ? 'abort' : null;
}
