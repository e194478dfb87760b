// Protobuf wire writing for the hot answers' hand-written encoders
// (encode-answers.ts, encode-received.ts): fields written straight into one
// growing buffer, without proto-loader's protobufjs objects and Longs.

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const EMPTY = Buffer.alloc(0);

export class Writer {
  private buf = Buffer.allocUnsafe(2048);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  varint(v: number | bigint): void {
    this.room(10);
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff) {
      // The usual case (tags, lengths, enums, small offsets): 31 bits, shifts only.
      const b = this.buf;
      while (v > 127) {
        b[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      b[this.pos++] = v;
      return;
    }
    if (typeof v === 'bigint') {
      if (v < 0n || v > MAX_SAFE) return this.wide(BigInt.asUintN(64, v));
      v = Number(v);
    }
    // Negative int32/int64 values take ten bytes, as two's complement in 64 bits.
    if (v < 0) return this.wide(BigInt.asUintN(64, BigInt(v)));
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  private wide(v: bigint): void {
    while (v > 127n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  tag(field: number, wire: 0 | 2): void {
    this.varint(field * 8 + wire);
  }

  number(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  string(field: number, s: string): void {
    this.tag(field, 2);
    if (s.length === 0) {
      this.room(1);
      this.buf[this.pos++] = 0;
      return;
    }
    if (s.length < 43) {
      // At most 3 bytes a UTF-16 unit: under 128 bytes, so a one-byte length, written after the string.
      this.room(1 + 3 * s.length);
      const n = this.ascii(s, this.pos + 1);
      this.buf[this.pos] = n;
      this.pos += 1 + n;
      return;
    }
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.room(n);
    this.pos += this.buf.utf8Write(s, this.pos);
  }

  /**
   * A short string's UTF-8 at `at` (room made); returns its length. Tags
   * and hosts are ASCII: copied here by char code, which costs less than a
   * call into C++ for a few bytes. From 16 chars on (ids, receipt handles)
   * the call is cheaper: in the broker's profile the loop cost more than
   * the call that replaced it.
   */
  private ascii(s: string, at: number): number {
    const buf = this.buf;
    if (s.length >= 16) return buf.utf8Write(s, at);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) return buf.utf8Write(s, at);
      buf[at + i] = c;
    }
    return s.length;
  }

  /** A string's UTF-8 alone (no tag, no length): part of a field begun with begin(). */
  text(s: string): void {
    this.room(3 * s.length);
    this.pos += this.ascii(s, this.pos);
  }

  /** The decimal digits of a non-negative safe integer alone (no tag, no length): part of a field begun with begin(). */
  digits(n: number): void {
    this.room(16);
    const buf = this.buf;
    let count = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) count++;
    let p = this.pos + count;
    this.pos = p;
    do {
      buf[--p] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  /** Bytes as they are: fields encoded before, or a message's body. */
  raw(b: Uint8Array): void {
    this.rawFrom(b, 0, b.length);
  }

  /** `length` bytes of `src` from `at`, as they are. */
  rawFrom(src: Uint8Array, at: number, length: number): void {
    this.room(length);
    const buf = this.buf;
    const p = this.pos;
    // A few dozen bytes copy faster here than by a call into C++.
    if (length > 64) buf.set(src.subarray(at, at + length), p);
    else for (let i = 0; i < length; i++) buf[p + i] = src[at + i]!;
    this.pos = p + length;
  }

  /** `n` zero bytes, some set later (putUInt32BE): returns where they start. */
  reserve(n: number): number {
    this.room(n);
    const at = this.pos;
    this.buf.fill(0, at, at + n);
    this.pos += n;
    return at;
  }

  putUInt32BE(at: number, v: number): void {
    this.buf.writeUInt32BE(v, at);
  }

  bytes(field: number, b: Buffer): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** A nested message: what `body` writes, then its length put in front of it. */
  nested(field: number, body: () => void): void {
    this.tag(field, 2);
    const at = this.pos;
    body();
    this.lengthBefore(at);
  }

  /** Starts a nested message (its tag); end(at) closes it. */
  begin(field: number): number {
    this.tag(field, 2);
    return this.pos;
  }

  /** Closes the nested message begun at `at`; `tail` bytes of it are to follow outside the writer. */
  end(at: number, tail = 0): void {
    this.lengthBefore(at, tail);
  }

  /** Puts the length of what was written since `at` (and `tail` bytes still to come) in front of it. */
  lengthBefore(at: number, tail = 0): void {
    const length = this.pos - at + tail;
    if (length < 128) {
      // The usual case: one byte.
      this.room(1);
      this.buf.copyWithin(at + 1, at, this.pos);
      this.buf[at] = length;
      this.pos++;
      return;
    }
    const lengthBytes = length < 16384 ? 2 : length < 2097152 ? 3 : length < 268435456 ? 4 : 5;
    this.room(lengthBytes);
    this.buf.copyWithin(at + lengthBytes, at, this.pos);
    const end = this.pos + lengthBytes;
    this.pos = at;
    this.varint(length);
    this.pos = end;
  }

  /** google.protobuf.Timestamp or Duration of `ms` milliseconds (seconds floored, nanos not negative). */
  time(field: number, ms: number | bigint): void {
    let seconds: number | bigint;
    let nanos: number;
    if (typeof ms === 'number' || (ms >= -MAX_SAFE && ms <= MAX_SAFE)) {
      const n = Number(ms);
      seconds = Math.floor(n / 1000);
      nanos = (n - seconds * 1000) * 1e6;
    } else {
      // A record's timestamp may be anything an int64 holds (a Kafka producer's).
      seconds = ms >= 0n ? ms / 1000n : (ms - 999n) / 1000n;
      nanos = Number(ms - seconds * 1000n) * 1e6;
    }
    this.tag(field, 2);
    const at = this.pos;
    if (seconds !== 0 && seconds !== 0n) this.number(1, seconds);
    if (nanos !== 0) this.number(2, nanos);
    this.lengthBefore(at);
  }

  /** Starts an answer in a buffer of its own of about `bytes` (it grows if need be), to be taken with takeOwned(). */
  start(bytes: number): void {
    this.buf = Buffer.allocUnsafe(bytes);
    this.pos = 0;
  }

  /**
   * The bytes written, not copied out (a receive's tens of KiB): the writer
   * goes on in a new buffer, made as it is needed (or by start()).
   */
  takeOwned(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = EMPTY;
    this.pos = 0;
    return out;
  }

  /** The bytes written, copied out behind `headroom` bytes (the writer is used again). */
  take(headroom = 0): Buffer {
    const out = Buffer.allocUnsafe(headroom + this.pos);
    this.buf.copy(out, headroom, 0, this.pos);
    this.pos = 0;
    return out;
  }
}

declare global {
  interface Buffer {
    utf8Write(s: string, offset: number): number;
  }
}
