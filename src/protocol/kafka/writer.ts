// Writes the protocol's primitive types to a growing buffer (see
// primitives.ts for the wire forms), with file regions for record data.
import type { FileRegion } from '../../transfer/types.js';
import { EncodeError, withinField } from './errors.js';
import { INT16_MAX, INT32_MAX, UINT32_MAX, UNSIGNED_VARINT_MAX_BYTES, UUID_BYTES, UUID_PATTERN, VARLONG_MAX_BYTES, type Encoded, type EncodedPart, type RecordsValue, type RegionRecords } from './primitives.js';

function checkInt(value: number, min: number, max: number, type: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EncodeError(`${String(value)} is not an ${type}`);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

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
  /** A DataView of buf, made when an int64 is first written to it. */
  private view: DataView | null = null;
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
    this.view = null;
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
    const v = typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX ? value : toInt64(value);
    this.ensure(8);
    // Through a DataView: Buffer's writeBigInt64BE splits the BigInt in JavaScript, several BigInt operations per call.
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.view.setBigInt64(this.pos, v);
    this.pos += 8;
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
