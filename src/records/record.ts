// One record inside an uncompressed v2 batch, and the records section (the
// bytes after the 61-byte header, record after record, recordCount of them).
// The plain produce and fetch paths never come here; features that must
// look inside records (tags, delays, transactions) and tests do.
//
//   Record =>
//     length           varint   bytes after this field
//     attributes       int8     unused, written as 0
//     timestampDelta   varlong  from the batch's baseTimestamp
//     offsetDelta      varint   from the batch's baseOffset
//     keyLength        varint   -1 for a null key
//     key              bytes
//     valueLength      varint   -1 for a null value
//     value            bytes
//     headerCount      varint
//     headers          Header × headerCount
//   Header =>
//     keyLength        varint   never negative: header keys are never null
//     key              UTF-8
//     valueLength      varint   -1 for a null value
//     value            bytes
//
// Decoded keys and values are views into the buffer they came from, not
// copies: they change if it does, and keep it alive.
import { RecordBatchError } from './errors.js';
import { readVarInt, readVarLongNumber, sizeOfVarInt, sizeOfVarLong, writeVarInt, writeVarLong, type Cursor } from './varint.js';

/** attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount: one byte each at least. */
export const RECORD_BODY_MIN_BYTES = 6;
const HEADER_MIN_BYTES = 2;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

// Not named `Record`, which would shadow TypeScript's Record<K, V> wherever
// it is imported.
export interface KafkaRecord {
  offsetDelta: number;
  /** Milliseconds from the batch's baseTimestamp; may be negative. */
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** A cursor over a Buffer, so that key and value views are Buffers too. */
export interface BufferCursor extends Cursor {
  readonly buf: Buffer;
}

/** Bytes of the record after its length field. */
export function recordBodyBytes(r: KafkaRecord): number {
  let bytes = 1 + sizeOfVarLong(r.timestampDelta) + sizeOfVarInt(r.offsetDelta);
  bytes += sizeOfBytes(r.key) + sizeOfBytes(r.value) + sizeOfVarInt(r.headers.length);
  for (const h of r.headers) {
    const keyBytes = Buffer.byteLength(h.key, 'utf8');
    bytes += sizeOfVarInt(keyBytes) + keyBytes + sizeOfBytes(h.value);
  }
  return bytes;
}

/** Bytes of the whole record, length field included. */
export function recordBytes(r: KafkaRecord): number {
  const body = recordBodyBytes(r);
  return sizeOfVarInt(body) + body;
}

/**
 * Writes `r` at `pos` and returns the position after it. `bodyBytes` saves
 * recomputing recordBodyBytes(r) when the caller already has it.
 */
export function writeRecord(buf: Buffer, pos: number, r: KafkaRecord, bodyBytes = recordBodyBytes(r)): number {
  const start = pos;
  pos = writeVarInt(buf, pos, bodyBytes);
  const bodyStart = pos;
  buf.writeInt8(0, pos++);
  pos = writeVarLong(buf, pos, r.timestampDelta);
  pos = writeVarInt(buf, pos, r.offsetDelta);
  pos = writeBytes(buf, pos, r.key);
  pos = writeBytes(buf, pos, r.value);
  pos = writeVarInt(buf, pos, r.headers.length);
  for (const h of r.headers) {
    pos = writeVarInt(buf, pos, Buffer.byteLength(h.key, 'utf8'));
    pos += buf.write(h.key, pos, 'utf8');
    pos = writeBytes(buf, pos, h.value);
  }
  // The length prefix was computed separately from what was written: a
  // mismatch would produce a batch every reader rejects.
  if (pos - bodyStart !== bodyBytes) {
    throw new Error(`record at ${start}: wrote ${pos - bodyStart} body bytes, declared ${bodyBytes}`);
  }
  return pos;
}

/** Reads the record at the cursor and moves past it. */
export function readRecord(cur: BufferCursor): KafkaRecord {
  const start = cur.pos;
  const bodyBytes = readVarInt(cur);
  if (bodyBytes < RECORD_BODY_MIN_BYTES) {
    throw invalid(start, `has length ${bodyBytes}, less than the ${RECORD_BODY_MIN_BYTES} of an empty record`);
  }
  if (bodyBytes > cur.end - cur.pos) {
    throw invalid(start, `declares ${bodyBytes} bytes; ${cur.end - cur.pos} remain`);
  }
  // Fields are read against the record's own end, so a bad inner length
  // cannot read into the next record.
  const body: BufferCursor = { buf: cur.buf, pos: cur.pos + 1, end: cur.pos + bodyBytes }; // + 1: attributes
  const timestampDelta = readVarLongNumber(body);
  const offsetDelta = readVarInt(body);
  const key = readBytes(body, start, 'key');
  const value = readBytes(body, start, 'value');
  const headerCount = readVarInt(body);
  if (headerCount < 0 || headerCount * HEADER_MIN_BYTES > body.end - body.pos) {
    throw invalid(start, `has header count ${headerCount} with ${body.end - body.pos} bytes left`);
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyBytes = readVarInt(body);
    if (keyBytes < 0) throw invalid(start, `has header key length ${keyBytes}; header keys cannot be null`);
    if (keyBytes > body.end - body.pos) throw invalid(start, `has a header key that runs past the record`);
    const headerKey = body.buf.toString('utf8', body.pos, body.pos + keyBytes);
    body.pos += keyBytes;
    headers.push({ key: headerKey, value: readBytes(body, start, 'header value') });
  }
  if (body.pos !== body.end) {
    throw invalid(start, `declares ${bodyBytes} bytes but its fields end ${body.end - body.pos} bytes early`);
  }
  cur.pos = body.end;
  return { offsetDelta, timestampDelta, key, value, headers };
}

/** The records section for `records`, in order. */
export function encodeRecords(records: readonly KafkaRecord[]): Buffer {
  const bodies = records.map(recordBodyBytes);
  let total = 0;
  for (const b of bodies) total += sizeOfVarInt(b) + b;
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  records.forEach((r, i) => {
    pos = writeRecord(buf, pos, r, bodies[i]);
  });
  return buf;
}

/**
 * Reads `count` records from buf[start, end), which must hold exactly those
 * records: bytes left over are as wrong as bytes missing.
 */
export function decodeRecords(buf: Buffer, start: number, end: number, count: number): KafkaRecord[] {
  if (count < 0 || count * (RECORD_BODY_MIN_BYTES + 1) > end - start) {
    throw new RecordBatchError('INVALID_RECORD', `${count} records cannot fit in ${end - start} bytes`);
  }
  const cur: BufferCursor = { buf, pos: start, end };
  const records: KafkaRecord[] = new Array(count);
  for (let i = 0; i < count; i++) records[i] = readRecord(cur);
  if (cur.pos !== end) {
    throw new RecordBatchError('INVALID_RECORD', `${end - cur.pos} bytes follow the last of ${count} records`);
  }
  return records;
}

function sizeOfBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarInt(b.length) + b.length;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarInt(buf, pos, -1);
  pos = writeVarInt(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

// Kafka reads any negative length as null; only -1 is ever written, so
// anything below it is refused as a malformed record.
function readBytes(cur: BufferCursor, recordStart: number, what: string): Buffer | null {
  const length = readVarInt(cur);
  if (length === -1) return null;
  if (length < -1) throw invalid(recordStart, `has ${what} length ${length}`);
  if (length > cur.end - cur.pos) throw invalid(recordStart, `has a ${what} of ${length} bytes; ${cur.end - cur.pos} remain`);
  const view = cur.buf.subarray(cur.pos, cur.pos + length);
  cur.pos += length;
  return view;
}

function invalid(recordStart: number, what: string): RecordBatchError {
  return new RecordBatchError('INVALID_RECORD', `record at byte ${recordStart} ${what}`);
}
