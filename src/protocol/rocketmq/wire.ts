// Protobuf wire reading for the hot requests' hand-written decoders
// (decode-requests.ts, decode-send.ts), which do without proto-loader's
// protobufjs objects, Longs and toObject copies (writer.ts writes answers).
//
// A reader gives up (throws NOT_MINE) on anything outside the plain shape a
// hand decoder knows: a field it does not handle, a wire type other than the
// field's, a length running past its message, a varint longer than its
// type's usual encoding. The caller then decodes the bytes with proto-loader
// instead, so unusual input gets exactly proto-loader's answer (or error).

/** Thrown where a hand decoder leaves the bytes to proto-loader. */
export const NOT_MINE: unique symbol = Symbol('not a plain request: decoded by proto-loader');

export class Reader {
  pos = 0;

  constructor(readonly buf: Buffer) {}

  /** A varint as protobufjs's uint32 reads it (its low 32 bits, unsigned): 5 bytes at most, or a well-formed 10. */
  uint32(end: number): number {
    const b = this.buf;
    let p = this.pos;
    if (p >= end) throw NOT_MINE;
    let c = b[p++]!;
    let v = c & 127;
    if (c < 128) {
      this.pos = p;
      return v;
    }
    for (let shift = 7; shift < 28; shift += 7) {
      if (p >= end) throw NOT_MINE;
      c = b[p++]!;
      v |= (c & 127) << shift;
      if (c < 128) {
        this.pos = p;
        return v >>> 0;
      }
    }
    if (p >= end) throw NOT_MINE;
    c = b[p++]!;
    v = (v | ((c & 15) << 28)) >>> 0;
    if (c >= 128) {
      // A negative int32 takes ten bytes; protobufjs skips the last five
      // without looking at them: only a well-formed ten-byte varint is read here.
      if (p + 5 > end || b[p]! < 128 || b[p + 1]! < 128 || b[p + 2]! < 128 || b[p + 3]! < 128 || b[p + 4]! >= 128) throw NOT_MINE;
      p += 5;
    }
    this.pos = p;
    return v;
  }

  /** An int64 varint: a number up to 7 bytes (below 2^49, exact), else a bigint (signed, as protobufjs's Long reads it). */
  int64(end: number): number | bigint {
    const b = this.buf;
    let p = this.pos;
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (p >= end) throw NOT_MINE;
      const c = b[p++]!;
      v += (c & 127) * scale;
      if (c < 128) {
        this.pos = p;
        return v;
      }
      scale *= 128;
    }
    let big = BigInt(v);
    let shift = 49n;
    for (let i = 7; i < 10; i++) {
      if (p >= end) throw NOT_MINE;
      const c = b[p++]!;
      big |= BigInt(c & 127) << shift;
      if (c < 128) {
        this.pos = p;
        return BigInt.asIntN(64, big);
      }
      shift += 7n;
    }
    throw NOT_MINE;
  }

  /** int64 as proto-loader gives it with longs: String (signed decimal). */
  int64String(end: number): string {
    return String(this.int64(end));
  }

  /** A length-delimited field's end, within `end`. */
  lengthEnd(end: number): number {
    const n = this.uint32(end);
    const to = this.pos + n;
    if (to > end) throw NOT_MINE;
    return to;
  }

  string(end: number): string {
    const to = this.lengthEnd(end);
    const s = this.pos === to ? '' : this.buf.utf8Slice(this.pos, to);
    this.pos = to;
    return s;
  }

  /** bytes as protobufjs's BufferReader gives them: a view of the request, or a new empty Buffer. */
  bytes(end: number): Buffer {
    const to = this.lengthEnd(end);
    const out = this.pos === to ? Buffer.alloc(0) : this.buf.subarray(this.pos, to);
    this.pos = to;
    return out;
  }
}

declare global {
  interface Buffer {
    utf8Slice(start: number, end: number): string;
  }
}

/** google.protobuf.Timestamp or Duration as proto-loader gives it: { seconds: '…', nanos }. */
export function readTime(r: Reader, outerEnd: number): { seconds: string; nanos: number } {
  const end = r.lengthEnd(outerEnd);
  const t = { seconds: '0', nanos: 0 };
  while (r.pos < end) {
    const tag = r.uint32(end);
    switch (tag) {
      case 8:
        t.seconds = r.int64String(end);
        break;
      case 16:
        t.nanos = r.uint32(end) | 0;
        break;
      default:
        throw NOT_MINE;
    }
  }
  return t;
}

/** apache.rocketmq.v2.Resource as proto-loader gives it. */
export function readResource(r: Reader, outerEnd: number): { resourceNamespace: string; name: string } {
  const end = r.lengthEnd(outerEnd);
  const res = { resourceNamespace: '', name: '' };
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === 10) res.resourceNamespace = r.string(end);
    else if (tag === 18) res.name = r.string(end);
    else throw NOT_MINE;
  }
  return res;
}

/** An enum value as proto-loader gives it with enums: String (its name; a number no name has stays a number). */
export function enumName(names: ReadonlyMap<number, string>, n: number): string | number {
  return names.get(n) ?? n;
}
