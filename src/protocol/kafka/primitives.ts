// The Kafka protocol's primitive types, read from a frame and written to a
// growing buffer. Everything multi-byte is big-endian.
//
//   int8/16/32/64, uint16/32, float64   fixed width (int64 as bigint)
//   bool                                 int8, 0 = false, anything else true
//   uuid                                 16 bytes
//   unsigned varint                      7 bits a byte, low group first, ≤ 5 bytes
//   varint / varlong                     zig-zag, then as unsigned (≤ 5 / ≤ 10 bytes)
//   string          int16 length, UTF-8         (-1 = null when nullable)
//   bytes           int32 length                (-1 = null when nullable)
//   array           int32 count, then elements  (-1 = null when nullable)
//   compact string / bytes / array   unsigned varint of length + 1 (0 = null)
//   tagged fields   unsigned varint count, then per field: unsigned varint tag,
//                   unsigned varint size, that many bytes
//
// The Reader trusts nothing: every read checks that its bytes are there and
// throws a ProtocolError (never a RangeError) when they are not, and every
// length is checked for sign and against the bytes left before anything is
// allocated. Bytes come back as zero-copy views of the frame.
//
// The Writer grows one buffer. Record data that lives in files is not copied
// into it: `records()` with regions writes the length prefix, ends the
// current part and hangs the regions on it, so a fetch response comes out as
// bytes, regions, bytes, regions... for the transfer strategy to send.
import type { FileRegion } from '../../transfer/types.js';
import { EncodeError, ProtocolError, withinField } from './errors.js';

const INT16_MAX = 0x7fff;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;
const UNSIGNED_VARINT_MAX_BYTES = 5;
const VARLONG_MAX_BYTES = 10;
const UUID_BYTES = 16;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Record data in files: `length` bytes, the sum of the regions' lengths. */
export interface RegionRecords {
  readonly length: number;
  readonly regions: readonly FileRegion[];
}

/** What a `records` field can be written from. */
export type RecordsValue = Buffer | RegionRecords;

/** Bytes built in memory, then file regions sent after them. */
export interface EncodedPart {
  bytes: Buffer;
  regions: FileRegion[];
}

/** An encoded message: its parts back to back; `size` counts bytes and region lengths. */
export interface Encoded {
  parts: EncodedPart[];
  size: number;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export class Reader {
  offset: number;

  /** Reads `buf` from `offset` up to (not including) `end`. */
  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    if (!(offset >= 0 && offset <= end && end <= buf.length)) {
      throw new RangeError(`reader bounds ${offset}..${end} outside a buffer of ${buf.length} bytes`);
    }
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(bytes: number): void {
    const left = this.end - this.offset;
    if (left < bytes) throw new ProtocolError('TRUNCATED', `needs ${plural(bytes, 'byte')}, ${left} left`);
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Kafka reads any non-zero byte as true. */
  bool(): boolean {
    return this.int8() !== 0;
  }

  /** A UUID as lowercase hex in the 8-4-4-4-12 form. */
  uuid(): string {
    this.need(UUID_BYTES);
    const hex = this.buf.toString('hex', this.offset, this.offset + UUID_BYTES);
    this.offset += UUID_BYTES;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  unsignedVarint(): number {
    let value = 0;
    for (let i = 0; i < UNSIGNED_VARINT_MAX_BYTES; i++) {
      this.need(1);
      const b = this.buf[this.offset++]!;
      // The fifth byte holds bits 28..31: anything above 0x0f overflows 32 bits.
      if (i === UNSIGNED_VARINT_MAX_BYTES - 1 && b > 0x0f) {
        throw ProtocolError.malformed('unsigned varint does not fit in 32 bits');
      }
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    throw ProtocolError.malformed('unsigned varint is longer than 5 bytes');
  }

  /** A zig-zag int32. */
  varint(): number {
    const u = this.unsignedVarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** A zig-zag int64. */
  varlong(): bigint {
    let u = 0n;
    for (let i = 0; i < VARLONG_MAX_BYTES; i++) {
      this.need(1);
      const b = this.buf[this.offset++]!;
      if (i === VARLONG_MAX_BYTES - 1 && b > 0x01) throw ProtocolError.malformed('varlong does not fit in 64 bits');
      u |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return (u >> 1n) ^ -(u & 1n);
    }
    throw ProtocolError.malformed('varlong is longer than 10 bytes');
  }

  // ---- strings -------------------------------------------------------

  string(): string {
    return required(this.nullableString(), 'string');
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < 0) throw ProtocolError.malformed(`string length ${length} is negative`);
    return this.utf8(length);
  }

  compactString(): string {
    return required(this.compactNullableString(), 'string');
  }

  compactNullableString(): string | null {
    const length = this.compactLength();
    if (length === -1) return null;
    if (length > INT16_MAX) throw ProtocolError.malformed(`string length ${length} exceeds ${INT16_MAX}`);
    return this.utf8(length);
  }

  private utf8(length: number): string {
    this.need(length);
    const s = this.buf.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return s;
  }

  // ---- bytes (zero-copy views of the frame) ----------------------------

  bytes(): Buffer {
    return required(this.nullableBytes(), 'bytes');
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < 0) throw ProtocolError.malformed(`bytes length ${length} is negative`);
    return this.view(length);
  }

  compactBytes(): Buffer {
    return required(this.compactNullableBytes(), 'bytes');
  }

  compactNullableBytes(): Buffer | null {
    const length = this.compactLength();
    return length === -1 ? null : this.view(length);
  }

  private view(length: number): Buffer {
    this.need(length);
    const v = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return v;
  }

  /** An unsigned varint holding length + 1; -1 for null. */
  private compactLength(): number {
    const n = this.unsignedVarint();
    if (n - 1 > INT32_MAX) throw ProtocolError.malformed(`compact length ${n - 1} exceeds ${INT32_MAX}`);
    return n - 1;
  }

  // ---- arrays ----------------------------------------------------------

  array<T>(item: (r: Reader, index: number) => T): T[] {
    return required(this.nullableArray(item), 'array');
  }

  nullableArray<T>(item: (r: Reader, index: number) => T): T[] | null {
    const count = this.int32();
    if (count === -1) return null;
    if (count < 0) throw ProtocolError.malformed(`array length ${count} is negative`);
    return this.items(count, item);
  }

  compactArray<T>(item: (r: Reader, index: number) => T): T[] {
    return required(this.compactNullableArray(item), 'array');
  }

  compactNullableArray<T>(item: (r: Reader, index: number) => T): T[] | null {
    const count = this.compactLength();
    return count === -1 ? null : this.items(count, item);
  }

  private items<T>(count: number, item: (r: Reader, index: number) => T): T[] {
    // As Kafka does: a count larger than the bytes left cannot be honest, and
    // must not make us allocate for it.
    if (count > this.remaining) {
      throw new ProtocolError('TRUNCATED', `array of ${count} elements needs at least ${plural(count, 'byte')}, ${this.remaining} left`);
    }
    const out: T[] = [];
    for (let i = 0; i < count; i++) {
      try {
        out.push(item(this, i));
      } catch (err) {
        throw withinField(err, `[${i}]`);
      }
    }
    return out;
  }

  // ---- tagged fields ---------------------------------------------------

  /**
   * Reads a tagged-field section. `field` is given each field's tag and a
   * reader bounded to its bytes; it returns false for a tag it does not know,
   * which is then skipped, as Kafka skips tags newer than its schema. A known
   * field must use its bytes exactly.
   */
  taggedFields(field: (tag: number, r: Reader) => boolean): void {
    const count = this.unsignedVarint();
    for (let i = 0; i < count; i++) {
      const tag = this.unsignedVarint();
      const size = this.unsignedVarint();
      this.need(size);
      const body = new Reader(this.buf, this.offset, this.offset + size);
      this.offset += size;
      if (field(tag, body) && body.remaining !== 0) {
        throw ProtocolError.malformed(`tagged field ${tag} has ${plural(body.remaining, 'byte')} left unread`);
      }
    }
  }
}

function required<T>(value: T | null, what: string): T {
  if (value === null) throw ProtocolError.malformed(`null where a non-nullable ${what} is required`);
  return value;
}

function checkInt(value: number, min: number, max: number, type: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EncodeError(`${String(value)} is not an ${type}`);
  }
}

function toInt64(value: bigint | number): bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new EncodeError(`${value} is not an int64 (pass a bigint)`);
    return BigInt(value);
  }
  if (typeof value !== 'bigint' || BigInt.asIntN(64, value) !== value) {
    throw new EncodeError(`${String(value)} is not an int64`);
  }
  return value;
}

function checkString(value: string): number {
  if (typeof value !== 'string') throw new EncodeError(`${String(value)} is not a string`);
  const length = Buffer.byteLength(value, 'utf8');
  if (length > INT16_MAX) throw new EncodeError(`string of ${length} bytes exceeds ${INT16_MAX}`);
  return length;
}

function checkBytes(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw new EncodeError('bytes must be a Buffer or Uint8Array');
}

function isRegionRecords(value: RecordsValue): value is RegionRecords {
  return !(value instanceof Uint8Array);
}

export class Writer {
  private buf: Buffer;
  // The current part's bytes are buf[start, pos); earlier parts were handed
  // out as views of buf (or of an older buf) and are never written again.
  private start = 0;
  private pos = 0;
  private readonly parts: EncodedPart[] = [];
  private finishedBytes = 0;
  private regionBytes = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written so far, counting region lengths. */
  get size(): number {
    return this.finishedBytes + (this.pos - this.start) + this.regionBytes;
  }

  private ensure(bytes: number): void {
    if (this.buf.length - this.pos >= bytes) return;
    const used = this.pos - this.start;
    let capacity = Math.max(256, this.buf.length * 2);
    while (capacity < used + bytes) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  int8(value: number): this {
    checkInt(value, -0x80, 0x7f, 'int8');
    this.ensure(1);
    this.pos = this.buf.writeInt8(value, this.pos);
    return this;
  }

  int16(value: number): this {
    checkInt(value, -0x8000, INT16_MAX, 'int16');
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(value, this.pos);
    return this;
  }

  uint16(value: number): this {
    checkInt(value, 0, 0xffff, 'uint16');
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(value, this.pos);
    return this;
  }

  int32(value: number): this {
    checkInt(value, -0x8000_0000, INT32_MAX, 'int32');
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(value, this.pos);
    return this;
  }

  uint32(value: number): this {
    checkInt(value, 0, UINT32_MAX, 'uint32');
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(value, this.pos);
    return this;
  }

  /** Takes a bigint, or a number that is a safe integer. */
  int64(value: bigint | number): this {
    const v = toInt64(value);
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
    return this;
  }

  float64(value: number): this {
    if (typeof value !== 'number') throw new EncodeError(`${String(value)} is not a float64`);
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(value, this.pos);
    return this;
  }

  bool(value: boolean): this {
    if (typeof value !== 'boolean') throw new EncodeError(`${String(value)} is not a boolean`);
    return this.int8(value ? 1 : 0);
  }

  uuid(value: string): this {
    if (typeof value !== 'string' || !UUID_PATTERN.test(value)) throw new EncodeError(`${String(value)} is not a UUID`);
    this.ensure(UUID_BYTES);
    this.pos += this.buf.write(value.replace(/-/g, ''), this.pos, UUID_BYTES, 'hex');
    return this;
  }

  unsignedVarint(value: number): this {
    checkInt(value, 0, UINT32_MAX, 'unsigned varint');
    this.ensure(UNSIGNED_VARINT_MAX_BYTES);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  varint(value: number): this {
    checkInt(value, -0x8000_0000, INT32_MAX, 'int32');
    return this.unsignedVarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  varlong(value: bigint | number): this {
    const v = toInt64(value);
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(VARLONG_MAX_BYTES);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  // ---- strings -------------------------------------------------------

  string(value: string): this {
    return this.nullableString(value);
  }

  nullableString(value: string | null): this {
    if (value === null) return this.int16(-1);
    const length = checkString(value);
    this.int16(length);
    return this.utf8(value, length);
  }

  compactString(value: string): this {
    return this.compactNullableString(value);
  }

  compactNullableString(value: string | null): this {
    if (value === null) return this.unsignedVarint(0);
    const length = checkString(value);
    this.unsignedVarint(length + 1);
    return this.utf8(value, length);
  }

  private utf8(value: string, length: number): this {
    this.ensure(length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
    return this;
  }

  // ---- bytes ---------------------------------------------------------

  bytes(value: Uint8Array): this {
    return this.nullableBytes(value);
  }

  nullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1);
    checkBytes(value);
    this.int32(value.length);
    return this.raw(value);
  }

  compactBytes(value: Uint8Array): this {
    return this.compactNullableBytes(value);
  }

  compactNullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.unsignedVarint(0);
    checkBytes(value);
    this.unsignedVarint(value.length + 1);
    return this.raw(value);
  }

  /** Copies `bytes` in as they are, with no length. */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /**
   * A `records` field: nullable bytes, compact in flexible versions. A Buffer
   * is copied in; regions are not copied at all: the length prefix is
   * written, then the regions are attached after the current part's bytes.
   */
  records(value: RecordsValue | null, compact: boolean): this {
    if (value === null || !isRegionRecords(value)) {
      return compact ? this.compactNullableBytes(value) : this.nullableBytes(value);
    }
    const { length, regions } = value;
    let sum = 0;
    for (const r of regions) sum += r.length;
    if (sum !== length) throw new EncodeError(`records length ${length} differs from its regions' ${sum} bytes`);
    if (compact) this.unsignedVarint(length + 1);
    else this.int32(length);
    if (regions.length > 0) this.attach(regions, length);
    return this;
  }

  private attach(regions: readonly FileRegion[], length: number): void {
    const last = this.parts[this.parts.length - 1];
    if (this.pos === this.start && last !== undefined) {
      // Nothing written since the last regions: they simply continue.
      last.regions.push(...regions);
    } else {
      this.parts.push({ bytes: this.buf.subarray(this.start, this.pos), regions: [...regions] });
      this.finishedBytes += this.pos - this.start;
      this.start = this.pos;
    }
    this.regionBytes += length;
  }

  // ---- arrays ----------------------------------------------------------

  array<T>(items: readonly T[], item: (w: Writer, value: T, index: number) => void): this {
    return this.nullableArray(items, item);
  }

  nullableArray<T>(items: readonly T[] | null, item: (w: Writer, value: T, index: number) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(checkedArray(items).length);
    return this.items(items, item);
  }

  compactArray<T>(items: readonly T[], item: (w: Writer, value: T, index: number) => void): this {
    return this.compactNullableArray(items, item);
  }

  compactNullableArray<T>(items: readonly T[] | null, item: (w: Writer, value: T, index: number) => void): this {
    if (items === null) return this.unsignedVarint(0);
    this.unsignedVarint(checkedArray(items).length + 1);
    return this.items(items, item);
  }

  private items<T>(items: readonly T[], item: (w: Writer, value: T, index: number) => void): this {
    for (let i = 0; i < items.length; i++) {
      try {
        item(this, items[i]!, i);
      } catch (err) {
        throw withinField(err, `[${i}]`);
      }
    }
    return this;
  }

  // ---- tagged fields ---------------------------------------------------

  /** A tagged-field section from encoded field bodies, which must come in ascending tag order. */
  taggedFields(fields: ReadonlyArray<readonly [tag: number, body: Uint8Array]>): this {
    this.unsignedVarint(fields.length);
    let previous = -1;
    for (const [tag, body] of fields) {
      if (tag <= previous) throw new EncodeError(`tagged fields out of order: ${tag} after ${previous}`);
      previous = tag;
      this.unsignedVarint(tag).unsignedVarint(body.length).raw(body);
    }
    return this;
  }

  // ---- results -------------------------------------------------------

  /** The message as parts: bytes, the regions after them, and so on. */
  finish(): Encoded {
    const size = this.size;
    if (this.pos > this.start || this.parts.length === 0) {
      this.parts.push({ bytes: this.buf.subarray(this.start, this.pos), regions: [] });
      this.finishedBytes += this.pos - this.start;
      this.start = this.pos;
    }
    return { parts: this.parts, size };
  }

  /** The bytes written, for writers that never took regions (tagged field bodies, headers). */
  toBuffer(): Buffer {
    if (this.parts.length > 0) throw new EncodeError('records held in file regions cannot go here');
    return this.buf.subarray(this.start, this.pos);
  }
}

function checkedArray<T>(items: readonly T[]): readonly T[] {
  if (!Array.isArray(items)) throw new EncodeError(`${String(items)} is not an array`);
  return items;
}

/** The bytes of an encoded message that has no regions; throws if it has any. */
export function bytesOf(encoded: Encoded): Buffer {
  if (encoded.parts.some((p) => p.regions.length > 0)) {
    throw new EncodeError('message holds records in file regions; send its parts instead');
  }
  return encoded.parts.length === 1 ? encoded.parts[0]!.bytes : Buffer.concat(encoded.parts.map((p) => p.bytes));
}
