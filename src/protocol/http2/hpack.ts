// HPACK (RFC 7541) for our HTTP/2 server: a strict decoder for the header
// blocks clients send, and an encoder for ours that needs no dynamic table
// (the load tools' client's, which indexes, is hpack-encoder.ts).
//
// Strings are latin1 both ways, one char per octet, so no octet is lost and a
// string's length is its size in the RFC's accounting (name + value + 32).
import { HuffmanError, huffmanDecode, latin1 } from './hpack-huffman.js';
import { STATIC_BY_NAME, STATIC_COUNT, STATIC_NAMES, STATIC_VALUES } from './hpack-static.js';

/** A malformed header block: HTTP/2's COMPRESSION_ERROR, which must close the connection (the peer's table and ours no longer agree). */
export class HpackError extends Error {
  override name = 'HpackError';
}

export interface DecodedBlock {
  headers: Array<[name: string, value: string]>;
  /**
   * The decoded list passed maxListBytes (RFC 9113 SETTINGS_MAX_HEADER_LIST_SIZE
   * accounting: name + value + 32 per field): headers is then incomplete, but
   * the dynamic table was still kept in step, so the stream can be refused and
   * the connection kept.
   */
  oversized: boolean;
}

/** RFC 7541 §4.1: what an entry costs beyond its octets. */
export const ENTRY_OVERHEAD = 32;

// A 32-bit value never needs more than 5 continuation octets (7 bits each).
const MAX_INT_CONTINUATIONS = 5;
const MAX_INT = 0xffffffff;

export class HpackDecoder {
  /** The size the peer's size updates may set, at most maxTableSize. */
  private limit: number;
  private size = 0;
  // The dynamic table as a ring, newest at head - 1; grown by doubling only
  // when full, so an insert moves nothing.
  private names: string[] = new Array<string>(16).fill('');
  private values: string[] = new Array<string>(16).fill('');
  private head = 0;
  private count = 0;
  /** Read position in the block being decoded. */
  private pos = 0;
  /** Set while a block is decoded: still set after a throw, so a broken decoder is not used again by mistake. */
  private failed = false;

  constructor(
    /** What we advertise as SETTINGS_HEADER_TABLE_SIZE. */
    readonly maxTableSize = 4096,
    /** What we advertise as SETTINGS_MAX_HEADER_LIST_SIZE. */
    readonly maxListBytes = 65536,
  ) {
    if (!Number.isInteger(maxTableSize) || maxTableSize < 0 || maxTableSize > MAX_INT) throw new RangeError(`maxTableSize ${maxTableSize}`);
    this.limit = maxTableSize;
  }

  /** The dynamic table's size in RFC 7541 §4.1 terms. */
  get tableSize(): number {
    return this.size;
  }

  /** The dynamic table's maximum size as the peer last set it. */
  get tableLimit(): number {
    return this.limit;
  }

  /** The dynamic table, newest first (index 62 first): for tests and debugging. */
  tableEntries(): Array<[name: string, value: string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head - 1 - i) & (this.names.length - 1);
      out.push([this.names[slot]!, this.values[slot]!]);
    }
    return out;
  }

  /**
   * Decodes one complete header block (a HEADERS or PUSH_PROMISE fragment and
   * its CONTINUATIONs joined). Throws HpackError on malformed input, after
   * which this decoder is out of step with the peer: it refuses further blocks.
   */
  decode(block: Buffer): DecodedBlock {
    if (this.failed) throw new HpackError('decoder used after a compression error');
    this.failed = true;
    const headers: Array<[string, string]> = [];
    const end = block.length;
    const maxListBytes = this.maxListBytes;
    let listBytes = 0;
    let oversized = false;
    let fieldSeen = false;
    this.pos = 0;
    while (this.pos < end) {
      const first = block[this.pos]!;
      let name: string;
      let value: string;
      if (first >= 0x80) {
        // §6.1 indexed field
        const index = this.integer(block, 0x7f);
        if (index === 0) throw new HpackError('indexed field with index 0');
        if (index <= STATIC_COUNT) {
          name = STATIC_NAMES[index]!;
          value = STATIC_VALUES[index]!;
        } else {
          const slot = this.slot(index);
          name = this.names[slot]!;
          value = this.values[slot]!;
        }
      } else if (first >= 0x40) {
        // §6.2.1 literal with incremental indexing
        const index = this.integer(block, 0x3f);
        name = index === 0 ? this.string(block) : this.nameAt(index);
        value = this.string(block);
        this.insert(name, value);
      } else if (first >= 0x20) {
        // §6.3 dynamic table size update: §4.2 allows it only before the first field
        if (fieldSeen) throw new HpackError('dynamic table size update after a field');
        const size = this.integer(block, 0x1f);
        if (size > this.maxTableSize) throw new HpackError(`dynamic table size update to ${size}, above the ${this.maxTableSize} we allow`);
        this.limit = size;
        this.evictTo(size);
        continue;
      } else {
        // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001): alike to a receiver
        const index = this.integer(block, 0x0f);
        name = index === 0 ? this.string(block) : this.nameAt(index);
        value = this.string(block);
      }
      fieldSeen = true;
      if (!oversized) {
        listBytes += name.length + value.length + ENTRY_OVERHEAD;
        if (listBytes > maxListBytes) oversized = true;
        else headers.push([name, value]);
      }
    }
    this.failed = false;
    return { headers, oversized };
  }

  /** §5.1 integer whose prefix is the low bits of block[pos] under `mask`. */
  private integer(block: Buffer, mask: number): number {
    let value = block[this.pos++]! & mask;
    if (value < mask) return value;
    let scale = 1;
    for (let i = 0; i < MAX_INT_CONTINUATIONS; i++) {
      if (this.pos >= block.length) throw new HpackError('integer runs past the end of the block');
      const octet = block[this.pos++]!;
      value += (octet & 0x7f) * scale;
      if (octet < 0x80) {
        if (value > MAX_INT) throw new HpackError('integer above 32 bits');
        return value;
      }
      scale *= 128;
    }
    throw new HpackError('integer encoding longer than any 32-bit value needs');
  }

  /** §5.2 string literal. */
  private string(block: Buffer): string {
    if (this.pos >= block.length) throw new HpackError('string missing at the end of the block');
    const huffman = block[this.pos]! >= 0x80;
    const length = this.integer(block, 0x7f);
    const start = this.pos;
    if (length > block.length - start) throw new HpackError(`string of ${length} octets runs past the end of the block`);
    this.pos = start + length;
    if (!huffman) return latin1(block, start, this.pos);
    try {
      return huffmanDecode(block, start, this.pos);
    } catch (err) {
      if (err instanceof HuffmanError) throw new HpackError(err.message);
      throw err;
    }
  }

  private nameAt(index: number): string {
    return index <= STATIC_COUNT ? STATIC_NAMES[index]! : this.names[this.slot(index)]!;
  }

  /** The ring slot of dynamic index `index` (STATIC_COUNT + 1 is the newest). */
  private slot(index: number): number {
    const age = index - STATIC_COUNT - 1;
    if (age >= this.count) throw new HpackError(`index ${index} past the tables (${STATIC_COUNT} static, ${this.count} dynamic)`);
    return (this.head - 1 - age) & (this.names.length - 1);
  }

  /** §4.4: evict to make room; an entry larger than the table empties it and is not added. */
  private insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.limit) {
      this.evictTo(0);
      return;
    }
    this.evictTo(this.limit - size);
    if (this.count === this.names.length) this.grow();
    this.names[this.head] = name;
    this.values[this.head] = value;
    this.head = (this.head + 1) & (this.names.length - 1);
    this.count++;
    this.size += size;
  }

  private evictTo(target: number): void {
    const mask = this.names.length - 1;
    while (this.size > target) {
      const slot = (this.head - this.count) & mask;
      this.size -= this.names[slot]!.length + this.values[slot]!.length + ENTRY_OVERHEAD;
      // Let a long evicted value be collected now rather than when its slot is reused.
      this.names[slot] = '';
      this.values[slot] = '';
      this.count--;
    }
  }

  private grow(): void {
    const capacity = this.names.length * 2;
    const names = new Array<string>(capacity).fill('');
    const values = new Array<string>(capacity).fill('');
    const mask = this.names.length - 1;
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head - this.count + i) & mask;
      names[i] = this.names[slot]!;
      values[i] = this.values[slot]!;
    }
    this.names = names;
    this.values = values;
    this.head = this.count;
  }
}

/** Octets of a §5.1 integer with a prefix of `mask` bits. */
function integerLength(mask: number, value: number): number {
  if (value < mask) return 1;
  let n = 2;
  for (let rest = value - mask; rest >= 0x80; rest = Math.floor(rest / 128)) n++;
  return n;
}

/** §5.1 integer: `flags` are the first octet's bits above the prefix. */
export function writeInteger(dst: Buffer, offset: number, flags: number, mask: number, value: number): number {
  let o = offset;
  if (value < mask) {
    dst[o++] = flags | value;
    return o;
  }
  dst[o++] = flags | mask;
  let rest = value - mask;
  while (rest >= 0x80) {
    dst[o++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  dst[o++] = rest;
  return o;
}

const stringLength = (s: string): number => integerLength(0x7f, s.length) + s.length;

// Below this a loop beats Buffer#write's native call.
const SHORT_STRING = 32;

export function writeString(dst: Buffer, offset: number, s: string): number {
  let o = writeInteger(dst, offset, 0x00, 0x7f, s.length);
  if (s.length >= SHORT_STRING) return o + dst.write(s, o, 'latin1');
  for (let i = 0; i < s.length; i++) dst[o++] = s.charCodeAt(i);
  return o;
}

// What encodeHeaders decided per field between its sizing and writing passes:
// a whole-field index (> 0), minus a name index (< 0), or 0 for a new name.
let plan = new Int32Array(32);

/**
 * A header block that uses no dynamic table (literal without indexing; the
 * static table's index for a name or a whole field where one matches; no
 * Huffman), the same bytes every time, so a block of fixed fields can be
 * encoded once and reused.
 *
 * One duty remains with the caller: after a peer's SETTINGS_HEADER_TABLE_SIZE
 * (any value), the next block we send must start with a dynamic table size
 * update (RFC 7541 §4.2), or a peer whose table shrank below 4096 refuses it
 * with COMPRESSION_ERROR (nghttp2 does, e.g. node:http2 with headerTableSize
 * 0). Pass tableSizeUpdate = 0 for that block: 0 is within any setting.
 *
 * Names and values are written as latin1: chars above 0xff would be cut to
 * their low octet, so callers pass octets (percent-encode or base64 the rest).
 */
export function encodeHeaders(fields: ReadonlyArray<readonly [string, string]>, tableSizeUpdate?: number): Buffer {
  if (plan.length < fields.length) plan = new Int32Array(fields.length * 2);
  let size = tableSizeUpdate === undefined ? 0 : integerLength(0x1f, tableSizeUpdate);
  for (let i = 0; i < fields.length; i++) {
    const [name, value] = fields[i]!;
    const known = STATIC_BY_NAME.get(name);
    if (known === undefined) {
      plan[i] = 0;
      size += 1 + stringLength(name) + stringLength(value);
      continue;
    }
    const whole = known.fields.get(value);
    if (whole !== undefined) {
      plan[i] = whole;
      size += 1; // static indexes are below 127
    } else {
      plan[i] = -known.index;
      size += integerLength(0x0f, known.index) + stringLength(value);
    }
  }
  const dst = Buffer.allocUnsafe(size);
  let o = tableSizeUpdate === undefined ? 0 : writeInteger(dst, 0, 0x20, 0x1f, tableSizeUpdate);
  for (let i = 0; i < fields.length; i++) {
    const [name, value] = fields[i]!;
    const how = plan[i]!;
    if (how > 0) {
      dst[o++] = 0x80 | how;
      continue;
    }
    if (how < 0) o = writeInteger(dst, o, 0x00, 0x0f, -how);
    else {
      dst[o++] = 0x00;
      o = writeString(dst, o, name);
    }
    o = writeString(dst, o, value);
  }
  return dst;
}
