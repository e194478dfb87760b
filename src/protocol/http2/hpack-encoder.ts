// HPACK's encoder with a dynamic table (RFC 7541 §2.3.2, §4), for the
// load tools' HTTP/2 client (client/load/h2-client.ts): the server's
// encoder (hpack.ts encodeHeaders) never indexes.
import { ENTRY_OVERHEAD, writeInteger, writeString } from './hpack.js';
import { STATIC_BY_NAME, STATIC_COUNT } from './hpack-static.js';

/** Fields to send again and again (a load tool's calls): encoded once per state of the encoder's table. */
export interface HeaderSet {
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /** The block last encoded for these fields, the encoder whose table it was encoded against, and that table's generation. */
  block?: Buffer;
  encoder?: HpackEncoder;
  generation?: number;
}

/**
 * An encoder with a dynamic table (RFC 7541 §2.3.2, §4), as HTTP/2 clients
 * send: a field first goes as a literal with incremental indexing, and
 * from then on as one index, so the peer's decoder reads a repeated call's
 * headers from its table instead of decoding their strings again. Blocks
 * must reach the peer in the order they were encoded.
 */
export class HpackEncoder {
  /** The table, newest first (index STATIC_COUNT + 1 first). */
  private readonly entries: Array<readonly [string, string]> = [];
  private size = 0;
  private max = 4096;
  /** Size updates owed at the start of the next block: the smallest the table went to since the last block, then where it is (RFC 7541 §4.2). */
  private smallest: number | null = null;
  /** Changes whenever the table does: a HeaderSet's block stays good until then. */
  generation = 0;

  /** The table's size in RFC 7541 §4.1 terms (what the peer's decoder holds, too). */
  get tableSize(): number {
    return this.size;
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE: the table keeps within it (and 4096), and the next block starts with the size. */
  setMaxSize(n: number): void {
    this.max = Math.min(n, 4096);
    this.evict(0);
    this.smallest = Math.min(this.smallest ?? this.max, this.max);
    this.generation++;
  }

  encode(set: HeaderSet): Buffer {
    if (set.block !== undefined && set.encoder === this && set.generation === this.generation) return set.block;
    const before = this.generation;
    let bytes = 12;
    for (const [name, value] of set.fields) bytes += 12 + name.length + value.length;
    const dst = Buffer.allocUnsafe(bytes);
    let o = 0;
    const updated = this.smallest !== null;
    if (this.smallest !== null) {
      o = writeInteger(dst, o, 0x20, 0x1f, this.smallest);
      if (this.smallest !== this.max) o = writeInteger(dst, o, 0x20, 0x1f, this.max);
      this.smallest = null;
    }
    for (const [name, value] of set.fields) {
      const known = STATIC_BY_NAME.get(name);
      const whole = known?.fields.get(value) ?? this.find(name, value);
      if (whole !== undefined) {
        o = writeInteger(dst, o, 0x80, 0x7f, whole);
        continue;
      }
      const nameIndex = known?.index ?? this.findName(name) ?? 0;
      o = writeInteger(dst, o, 0x40, 0x3f, nameIndex);
      if (nameIndex === 0) o = writeString(dst, o, name);
      o = writeString(dst, o, value);
      this.insert(name, value);
    }
    const block = dst.subarray(0, o);
    // Only a block that changed nothing in the table (all indexes, no size update) says the same the next time.
    if (this.generation === before && !updated) {
      set.block = block;
      set.encoder = this;
      set.generation = before;
    }
    return block;
  }

  private find(name: string, value: string): number | undefined {
    for (let i = 0; i < this.entries.length; i++) {
      const [n, v] = this.entries[i]!;
      if (n === name && v === value) return STATIC_COUNT + 1 + i;
    }
    return undefined;
  }

  private findName(name: string): number | undefined {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i]![0] === name) return STATIC_COUNT + 1 + i;
    return undefined;
  }

  private insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.generation++;
    // An entry larger than the table empties it and is not kept (§4.4).
    if (size > this.max) {
      this.evict(this.max);
      return;
    }
    this.evict(size);
    this.entries.unshift([name, value]);
    this.size += size;
  }

  /** Oldest entries out until `room` more bytes fit. */
  private evict(room: number): void {
    while (this.entries.length > 0 && this.size + room > this.max) {
      const [n, v] = this.entries.pop()!;
      this.size -= n.length + v.length + ENTRY_OVERHEAD;
    }
  }
}
