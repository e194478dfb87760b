// Copies of short-lived bytes carved out of large shared buffers. A load
// tool that kept each socket read (a new 64 KiB buffer from Node per read)
// or joined each answer into a buffer of its own made V8 count that much
// external memory per call, and V8 answered it with a mark-compact every
// few hundred calls: a fifth of the RocketMQ receive client's CPU. Copied
// here, a slab is allocated once per SLAB_BYTES of answers and freed when
// nothing carved from it is held any more.

const SLAB_BYTES = 1024 * 1024;
/** Larger copies get a buffer of their own (they would waste most of a slab's tail). */
const OWN_BUFFER_FROM = SLAB_BYTES / 8;

export class ByteSlab {
  private slab = Buffer.allocUnsafe(0);
  private used = 0;

  /** A copy of `b` that stays valid after `b`'s memory is reused. */
  copy(b: Buffer): Buffer {
    if (b.length >= OWN_BUFFER_FROM) return Buffer.from(b);
    if (this.used + b.length > this.slab.length) {
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + b.length);
    b.copy(out);
    this.used += b.length;
    return out;
  }
}
