// Bytes that arrive in chunks (socket reads, DATA frames) and leave in
// pieces of known length: a piece one chunk holds is a view of it; one that
// spans chunks is copied out, those bytes only (the rest of the last chunk
// touched stays where it is: a 16 KiB frame straddling into a fresh 64 KiB
// read would otherwise copy all 68 KiB). Kafka's frame decoder and gRPC's
// message assembly both read their input through it.
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Bytes held. */
  bytes = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** Removes the next n bytes: a view when the first chunk holds them, else copied into a new buffer of their own. */
  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined || first.length < n) {
      const out = Buffer.allocUnsafe(n);
      this.copyOut(n, out);
      return out;
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.bytes -= n;
    return out;
  }

  /** Removes the next n bytes, copied to the start of `out`. */
  takeInto(n: number, out: Buffer): void {
    if (out.length < n) throw new RangeError(`takeInto: ${n} bytes do not fit ${out.length}`);
    this.copyOut(n, out);
  }

  private copyOut(n: number, out: Buffer): void {
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.bytes -= n;
  }

  /** A buffer starting with the next n bytes, which stay: the first chunk when it holds them, else those bytes joined (standing in for them from then on). */
  peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const head = this.take(n);
    this.chunks.unshift(head);
    this.bytes += n;
    return head;
  }

  /** Copies the chunks that are views into larger buffers (a socket's reads): held on, they then hold only their own bytes. */
  own(): void {
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      if (c.buffer.byteLength > c.length) {
        const copy = Buffer.allocUnsafeSlow(c.length);
        c.copy(copy);
        this.chunks[i] = copy;
      }
    }
  }

  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }
}
