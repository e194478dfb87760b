// Where a valid request keeps its lengths and its values: every string
// length, bytes length, array count and tagged-field count, every integer
// field and every string's bytes, found by decoding the request with a
// Reader that notes each one's offset. Mutators lie in exactly those
// places, which random bit flips rarely hit in the right way, and change
// values while keeping the request decodable, so the handlers see them.
import { decode, KAFKA_REGISTRY, Reader, requestHeaderVersion } from '../../src/protocol/kafka/index.js';

export type SiteKind = 'int16' | 'int32' | 'uvarint';
export type SiteRole = 'string' | 'bytes' | 'array' | 'tagged';

export interface LengthSite {
  /** Offset of the length in the request (without size prefix). */
  at: number;
  /** Bytes the length takes (an unsigned varint: 1-5). */
  width: number;
  kind: SiteKind;
  role: SiteRole;
  /** The value as written (for compact forms: length + 1; for tagged: the count). */
  value: number;
}

/** A fixed-width integer field (bool: 1 byte), not a length. */
export interface ValueSite {
  at: number;
  width: 1 | 2 | 4 | 8 | 16;
}

/** A non-null string's bytes and its length's site. */
export interface StringSite {
  length: LengthSite;
  from: number;
  to: number;
}

export interface Sites {
  lengths: LengthSite[];
  values: ValueSite[];
  strings: StringSite[];
}

class TracingReader extends Reader {
  readonly lengths: LengthSite[] = [];
  readonly values: ValueSite[] = [];
  readonly strings: StringSite[] = [];

  private note(kind: SiteKind, role: SiteRole): LengthSite | null {
    const at = this.offset;
    if (kind === 'int16' || kind === 'int32') {
      const width = kind === 'int16' ? 2 : 4;
      if (this.remaining < width) return null;
      const site = { at, width, kind, role, value: kind === 'int16' ? this.buf.readInt16BE(at) : this.buf.readInt32BE(at) };
      this.lengths.push(site);
      return site;
    }
    let width = 0;
    let value = 0;
    while (width < 5 && at + width < this.end) {
      const b = this.buf[at + width]!;
      value += (b & 0x7f) * 2 ** (7 * width);
      width++;
      if ((b & 0x80) === 0) break;
    }
    if (width === 0) return null;
    const site = { at, width, kind, role, value };
    this.lengths.push(site);
    return site;
  }

  private value<T>(width: ValueSite['width'], read: () => T): T {
    this.values.push({ at: this.offset, width });
    return read();
  }

  override int8(): number {
    return this.value(1, () => super.int8());
  }

  override int16(): number {
    return this.value(2, () => super.int16());
  }

  override int32(): number {
    return this.value(4, () => super.int32());
  }

  override int64(): bigint {
    return this.value(8, () => super.int64());
  }

  override uuid(): string {
    return this.value(16, () => super.uuid());
  }

  private noteString(site: LengthSite | null, read: () => string | null): string | null {
    const s = read();
    if (site && s !== null) this.strings.push({ length: site, from: site.at + site.width, to: this.offset });
    return s;
  }

  override nullableString(): string | null {
    const site = this.note('int16', 'string');
    return this.noteString(site, () => super.nullableString());
  }

  override compactNullableString(): string | null {
    const site = this.note('uvarint', 'string');
    return this.noteString(site, () => super.compactNullableString());
  }

  override nullableBytes(): Buffer | null {
    this.note('int32', 'bytes');
    return super.nullableBytes();
  }

  override compactNullableBytes(): Buffer | null {
    this.note('uvarint', 'bytes');
    return super.compactNullableBytes();
  }

  override nullableArray<T>(item: (r: Reader, index: number) => T): T[] | null {
    this.note('int32', 'array');
    return super.nullableArray(item);
  }

  override compactNullableArray<T>(item: (r: Reader, index: number) => T): T[] | null {
    this.note('uvarint', 'array');
    return super.compactNullableArray(item);
  }

  override taggedFields(field: (tag: number, r: Reader) => boolean): void {
    this.note('uvarint', 'tagged');
    super.taggedFields(field);
  }
}

/** The sites of a valid request (header included: the client id is a string). */
export function findSites(request: Buffer): Sites {
  const r = new TracingReader(request);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  r.int32();
  r.nullableString();
  const api = KAFKA_REGISTRY.get(apiKey)!;
  if (requestHeaderVersion(api, apiVersion) === 2) r.taggedFields(() => false);
  decode(api.request, apiVersion, r);
  // Lengths are read as integers too; they are lengths, not values.
  const lengthAt = new Set(r.lengths.map((l) => l.at));
  return { lengths: r.lengths, values: r.values.filter((v) => !lengthAt.has(v.at)), strings: r.strings };
}
