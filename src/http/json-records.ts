// Records as JSON, for clients that do not build Kafka record batches:
//   in:  {"records": [{"key"?: string|null, "value": string|null,
//                      "headers"?: [{"key": string, "value": string|null}],
//                      "timestamp"?: ms}]}
//   out: {"offset", "timestamp", "key", "value", "headers"} per record.
// Strings are UTF-8. The raw paths (application/vnd.kafka.batch) carry any
// bytes; this one is the convenience.
import { BATCH_HEADER_BYTES, decodeBatch, encodeBatch, LOG_OVERHEAD_BYTES, RECORD_MIN_BYTES, recordOffset, recordTimestamp, RecordBatchError, type RecordInput } from '../records/index.js';
import { badRequest, kafkaError } from './errors.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(v: unknown, where: string): Buffer | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw badRequest(`${where} must be a string or null`);
  return Buffer.from(v, 'utf8');
}

/**
 * The fewest bytes the records can take in a batch, from the lengths of
 * their strings alone. Building the records costs a Buffer and an object
 * each (a 16 MiB body of empty values is 1.3 million of them, over 500 MiB),
 * so records that cannot fit are refused before any is built.
 */
function leastBatchBytes(records: readonly unknown[]): number {
  let bytes = BATCH_HEADER_BYTES;
  for (const r of records) {
    bytes += RECORD_MIN_BYTES;
    if (!isObject(r)) continue;
    for (const v of [r.key, r.value]) if (typeof v === 'string') bytes += Buffer.byteLength(v);
    if (Array.isArray(r.headers)) {
      for (const h of r.headers as unknown[]) {
        bytes += 2;
        if (isObject(h)) for (const v of [h.key, h.value]) if (typeof v === 'string') bytes += Buffer.byteLength(v);
      }
    }
  }
  return bytes;
}

/** One uncompressed v2 batch of the body's records (checked field by field), refused if it would exceed `maxBatchBytes`. */
export function batchFromJson(body: unknown, maxBatchBytes = Infinity): { batch: Buffer; count: number } {
  if (!isObject(body) || !Array.isArray(body.records) || body.records.length === 0) {
    throw badRequest('expected {"records": [{"key"?, "value", "headers"?, "timestamp"?}, ...]} with at least one record');
  }
  const least = leastBatchBytes(body.records);
  if (least > maxBatchBytes) {
    const n = body.records.length;
    throw kafkaError('MESSAGE_TOO_LARGE', `${n} record${n === 1 ? '' : 's'} take${n === 1 ? 's' : ''} at least ${least} bytes as a batch, over the limit of ${maxBatchBytes}`);
  }
  const now = BigInt(Date.now());
  const records: RecordInput[] = body.records.map((r: unknown, i): RecordInput => {
    const at = `records[${i}]`;
    if (!isObject(r) || !('value' in r)) throw badRequest(`${at} must be an object with a "value"`);
    let timestamp: bigint | undefined;
    if (r.timestamp !== undefined) {
      if (!Number.isSafeInteger(r.timestamp) || (r.timestamp as number) < 0) throw badRequest(`${at}.timestamp must be milliseconds since the epoch`);
      timestamp = BigInt(r.timestamp as number);
    }
    let headers: { key: string; value: Buffer | null }[] = [];
    if (r.headers !== undefined) {
      if (!Array.isArray(r.headers)) throw badRequest(`${at}.headers must be an array of {"key", "value"}`);
      headers = r.headers.map((h: unknown, j) => {
        if (!isObject(h) || typeof h.key !== 'string') throw badRequest(`${at}.headers[${j}] must be {"key": string, "value": string|null}`);
        return { key: h.key, value: optionalString(h.value, `${at}.headers[${j}].value`) };
      });
    }
    return { key: optionalString(r.key, `${at}.key`), value: optionalString(r.value, `${at}.value`), headers, timestamp };
  });
  return { batch: encodeBatch({ baseTimestamp: now, records }), count: records.length };
}

export interface JsonRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string | null }[];
}

/**
 * Records in one JSON answer at most. Each is an object here and about 60
 * bytes of JSON at least: 8 MiB of empty records would be a million of them
 * (measured: 570 MiB and 4 s of the event loop for one answer).
 */
export const MAX_JSON_RECORDS = 10_000;

/**
 * The records at or after `from` in `bytes` (batches as a fetch returns
 * them: the first may begin before `from`, the last may be cut short, and is
 * then left out, as Kafka consumers do), at most `maxRecords` of them.
 * `nextOffset` follows the last record given, or is `from` if there was none.
 */
export function recordsToJson(bytes: Buffer, from: bigint, maxRecords = MAX_JSON_RECORDS): { records: JsonRecord[]; nextOffset: bigint } {
  const records: JsonRecord[] = [];
  let nextOffset = from;
  let at = 0;
  while (at + LOG_OVERHEAD_BYTES <= bytes.length) {
    const size = bytes.readInt32BE(at + 8) + LOG_OVERHEAD_BYTES;
    if (at + size > bytes.length) break;
    let batch;
    try {
      batch = decodeBatch(bytes, at);
    } catch (err) {
      if (err instanceof RecordBatchError) throw kafkaError(err.code === 'UNSUPPORTED_COMPRESSION' ? 'UNSUPPORTED_COMPRESSION_TYPE' : 'CORRUPT_MESSAGE', `${err.message} (fetch it raw instead)`);
      throw err;
    }
    const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));
    for (const r of batch.records) {
      const offset = recordOffset(batch.header, r);
      if (offset < from) continue;
      if (records.length === maxRecords) return { records, nextOffset: offset };
      records.push({
        offset: Number(offset),
        timestamp: Number(recordTimestamp(batch.header, r)),
        key: text(r.key),
        value: text(r.value),
        headers: r.headers.map((h) => ({ key: h.key, value: text(h.value) })),
      });
    }
    nextOffset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
    at += size;
  }
  return { records, nextOffset };
}
