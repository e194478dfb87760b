// Reads the protocol's primitive types from a frame (see primitives.ts for
// the wire forms). Trusts nothing: every read checks its bytes are there.
import { isUtf8 } from 'node:buffer';
import { ProtocolError, withinField } from './errors.js';
import { INT16_MAX, INT32_MAX, UNSIGNED_VARINT_MAX_BYTES, UUID_BYTES, VARLONG_MAX_BYTES } from './primitives.js';

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** What a request may still decode: array elements and tagged fields, shared with its tagged fields' readers. */
interface ElementBudget {
  readonly max: number;
  left: number;
}

const UNBOUNDED: ElementBudget = { max: Infinity, left: Infinity };

export class Reader {
  offset: number;
  private elements = UNBOUNDED;

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

  /**
   * Bounds the array elements and tagged fields read from here on (with
   * those of tagged fields' bodies). Each element becomes an object or a
   * string here, tens of times its bytes on the wire, and a frame may be
   * 100 MiB: the count of them must be bounded too.
   */
  limitElements(max: number): this {
    this.elements = { max, left: max };
    return this;
  }

  private countElements(n: number, what: string): void {
    const e = this.elements;
    if (n > e.left) throw ProtocolError.malformed(`${what} takes the message past ${e.max} array elements and tagged fields`);
    e.left -= n;
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

  /**
   * Kafka's strings are UTF-8. Bytes that are not would decode to U+FFFD,
   * three bytes each when written back: a name echoed in an answer (a topic,
   * a group's protocol type in ListGroups) could then outgrow the 32,767
   * bytes a string may hold, and fail every answer that carries it.
   */
  private utf8(length: number): string {
    this.need(length);
    if (!isUtf8(this.buf.subarray(this.offset, this.offset + length))) throw ProtocolError.malformed('string is not valid UTF-8');
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
    this.countElements(count, `array of ${count} elements`);
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
    // Each field takes at least two bytes (tag and size): a larger count cannot be honest.
    if (count > this.remaining / 2) throw new ProtocolError('TRUNCATED', `${plural(count, 'tagged field')} need at least ${2 * count} bytes, ${this.remaining} left`);
    this.countElements(count, plural(count, 'tagged field'));
    for (let i = 0; i < count; i++) {
      const tag = this.unsignedVarint();
      const size = this.unsignedVarint();
      this.need(size);
      const body = new Reader(this.buf, this.offset, this.offset + size);
      body.elements = this.elements;
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
