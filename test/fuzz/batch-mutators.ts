// Mutations of a record batch inside a Produce request. Most of them fix
// the CRC afterwards: a bad CRC stops the broker at its first check, and
// the point is to reach the checks behind it (lengths, counts, magic,
// attributes, producer fields) with values that lie.
import { crc32c } from '../../src/native/crc32c.js';
import {
  ATTRIBUTES_AT,
  BASE_OFFSET_AT,
  BASE_SEQUENCE_AT,
  BASE_TIMESTAMP_AT,
  BATCH_LENGTH_AT,
  CRC_AT,
  CRC_COVERED_FROM,
  LAST_OFFSET_DELTA_AT,
  MAGIC_AT,
  MAX_TIMESTAMP_AT,
  PARTITION_LEADER_EPOCH_AT,
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  RECORD_COUNT_AT,
  RECORDS_AT,
} from '../../src/records/index.js';
import type { Prng } from '../helpers/prng.js';

/** A batch's place in a request: `at` its first byte, `length` its bytes; an int32 records length precedes it. */
export interface BatchSite {
  at: number;
  length: number;
}

const INT32_LIES = [-1, 0, 1, 48, 49, 0x7fff_ffff, -0x8000_0000, 1_000_000];
const INT64_LIES = [-1n, 0n, -(2n ** 63n), 2n ** 63n - 1n, 1n << 40n];

function fixCrc(b: Buffer, s: BatchSite): void {
  b.writeUInt32BE(crc32c(b.subarray(s.at + CRC_COVERED_FROM, s.at + s.length)), s.at + CRC_AT);
}

/** Replaces the batch's bytes with `bytes`, fixing the records length before it. */
function replaceBatch(body: Buffer, s: BatchSite, bytes: Buffer): Buffer {
  const out = Buffer.concat([body.subarray(0, s.at), bytes, body.subarray(s.at + s.length)]);
  out.writeInt32BE(bytes.length, s.at - 4);
  return out;
}

type BatchMutator = (b: Buffer, s: BatchSite, rng: Prng) => Buffer;

const MUTATORS: Record<string, BatchMutator> = {
  crcMismatch: (b, s, rng) => {
    const at = s.at + CRC_COVERED_FROM + rng.int(s.length - CRC_COVERED_FROM);
    b[at] = b[at]! ^ (1 << rng.int(8));
    return b;
  },
  batchLengthLie: (b, s, rng) => {
    const honest = s.length - 12;
    b.writeInt32BE(rng.pick([...INT32_LIES, honest - 1, honest + 1, honest * 2]), s.at + BATCH_LENGTH_AT);
    return b;
  },
  recordCountLie: (b, s, rng) => {
    b.writeInt32BE(rng.pick(INT32_LIES), s.at + RECORD_COUNT_AT);
    fixCrc(b, s);
    return b;
  },
  lastOffsetDeltaLie: (b, s, rng) => {
    b.writeInt32BE(rng.pick(INT32_LIES), s.at + LAST_OFFSET_DELTA_AT);
    fixCrc(b, s);
    return b;
  },
  magic: (b, s, rng) => {
    b.writeUInt8(rng.pick([0, 1, 3, 0x7f, 0xff]), s.at + MAGIC_AT);
    return b;
  },
  attributes: (b, s, rng) => {
    b.writeUInt16BE(rng.chance(0.5) ? rng.range(1, 7) : rng.int(0x10000), s.at + ATTRIBUTES_AT);
    fixCrc(b, s);
    return b;
  },
  producerFields: (b, s, rng) => {
    b.writeBigInt64BE(rng.pick(INT64_LIES), s.at + PRODUCER_ID_AT);
    b.writeInt16BE(rng.pick([-1, 0, 1, 0x7fff, -0x8000]), s.at + PRODUCER_EPOCH_AT);
    b.writeInt32BE(rng.pick(INT32_LIES), s.at + BASE_SEQUENCE_AT);
    fixCrc(b, s);
    return b;
  },
  timestamps: (b, s, rng) => {
    b.writeBigInt64BE(rng.pick(INT64_LIES), s.at + BASE_TIMESTAMP_AT);
    b.writeBigInt64BE(rng.pick(INT64_LIES), s.at + MAX_TIMESTAMP_AT);
    fixCrc(b, s);
    return b;
  },
  outsideCrc: (b, s, rng) => {
    b.writeBigInt64BE(rng.pick(INT64_LIES), s.at + BASE_OFFSET_AT);
    b.writeInt32BE(rng.pick(INT32_LIES), s.at + PARTITION_LEADER_EPOCH_AT);
    return b;
  },
  garbageRecords: (b, s, rng) => {
    rng.bytes(s.length - RECORDS_AT).copy(b, s.at + RECORDS_AT);
    fixCrc(b, s);
    return b;
  },
  truncated: (b, s, rng) => replaceBatch(b, s, Buffer.from(b.subarray(s.at, s.at + rng.int(s.length)))),
  partialSecondBatch: (b, s, rng) => {
    const batch = b.subarray(s.at, s.at + s.length);
    return replaceBatch(b, s, Buffer.concat([batch, batch.subarray(0, rng.range(1, s.length))]));
  },
  twoBatches: (b, s) => {
    const batch = b.subarray(s.at, s.at + s.length);
    return replaceBatch(b, s, Buffer.concat([batch, batch]));
  },
};

export const BATCH_MUTATIONS = Object.keys(MUTATORS);

/** Applies one named batch mutation to a copy of `body`. */
export function mutateBatch(body: Buffer, site: BatchSite, rng: Prng): { bytes: Buffer; name: string } {
  const name = rng.pick(BATCH_MUTATIONS);
  return { bytes: MUTATORS[name]!(Buffer.from(body), site, rng), name: `batch.${name}` };
}
