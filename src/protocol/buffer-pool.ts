// Buffers lent for work that ends at a known point and taken back then, so
// a busy broker does not make a fresh ArrayBuffer per request: each one is
// external memory V8 counts, and at thousands of requests a second their
// growth starts mark-compacts whose marking costs more than the work the
// buffers hold. Sizes are powers of two (a buffer is at most twice what it
// was lent for); only buffers this pool lent are taken back, each once, and
// the pool keeps at most `maxHeldBytes` of them. A buffer not given back is
// the collector's, as any other.
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  /**
   * The property of a buffer's memory (its ArrayBuffer) that holds the
   * buffer while it is lent, undefined once given back: what giveBack()
   * takes. A WeakMap of them made and dropped an ephemeron-table entry per
   * loan, 1.4% of the broker's CPU in batched sends; a property of the
   * pool's own buffers is a store.
   */
  private readonly lentAs = Symbol('lent by this pool');
  /** Bytes of the buffers kept in `free`. */
  heldBytes = 0;

  constructor(
    /** The smallest buffer made (a power of two); smaller asks get one of these. */
    readonly minBytes: number,
    /** Asks for more are served by a buffer of their own that is not kept. */
    readonly maxBytes: number,
    readonly maxHeldBytes: number,
  ) {
    if (!(minBytes > 0 && (minBytes & (minBytes - 1)) === 0)) throw new RangeError(`BufferPool: minBytes ${minBytes} is not a power of two`);
  }

  /** A buffer of at least `bytes` (its whole memory its own), to be given back when nothing reads it any more. */
  lend(bytes: number): Buffer {
    if (bytes > this.maxBytes) return Buffer.allocUnsafeSlow(bytes);
    let size = this.minBytes;
    while (size < bytes) size *= 2;
    const b = this.free.get(size)?.pop();
    let out: Buffer;
    if (b !== undefined) {
      this.heldBytes -= size;
      out = b;
    } else {
      out = Buffer.allocUnsafeSlow(size);
    }
    (out.buffer as Tagged)[this.lentAs] = out;
    return out;
  }

  /** Takes back a buffer lent here, or a view of one (any other is left alone): whoever gives it back promises no view of it is read again. */
  giveBack(view: Buffer): void {
    const memory = view.buffer as Tagged;
    const b = memory[this.lentAs];
    if (b === undefined) return;
    memory[this.lentAs] = undefined;
    if (this.heldBytes + b.length > this.maxHeldBytes) return;
    let list = this.free.get(b.length);
    if (list === undefined) this.free.set(b.length, (list = []));
    list.push(b);
    this.heldBytes += b.length;
  }
}

type Tagged = ArrayBufferLike & Record<symbol, Buffer | undefined>;
