// The cleaner's I/O budget (log.cleaner.io.max.bytes.per.second): bytes
// read and written, counted as Kafka's Throttler counts them, and a wait
// asked for whenever the count runs ahead of the rate. The budget is about
// the disk and page cache the broker's own produce and fetch traffic
// shares, so reads count as much as writes.
//
// The accounting is a pure function of the bytes and the clock handed in:
// tests check the waits it asks for, exactly, with a clock they move, and
// never measure a sleep.

/** How long a window runs before its count starts afresh: long enough to average over chunk sizes. */
const WINDOW_MS = 1000;

export class IoThrottle {
  private windowStart: number;
  private windowBytes = 0;
  /** Waits asked for so far (ms), for stats and tests. */
  waitedMs = 0;
  /** Bytes counted so far. */
  bytes = 0;

  constructor(
    /** Bytes per second; <= 0 or Infinity: no limit. */
    private readonly bytesPerSecond: number,
    private readonly now: () => number,
  ) {
    this.windowStart = now();
  }

  get limited(): boolean {
    return this.bytesPerSecond > 0 && Number.isFinite(this.bytesPerSecond);
  }

  /**
   * Counts `n` bytes of I/O done; returns how long to wait (ms) before the
   * next, so that the bytes of the window took at least bytes / rate.
   */
  account(n: number): number {
    this.bytes += n;
    if (!this.limited) return 0;
    const t = this.now();
    // A window starts with its first bytes: time the cleaner sat idle (no
    // log to clean) is no credit for a burst later.
    if (this.windowBytes === 0) this.windowStart = t;
    this.windowBytes += n;
    const elapsed = t - this.windowStart;
    const due = (this.windowBytes * 1000) / this.bytesPerSecond;
    const wait = Math.max(0, Math.ceil(due - elapsed));
    if (elapsed + wait >= WINDOW_MS) this.windowBytes = 0; // the window closes; the next starts with the next bytes
    this.waitedMs += wait;
    return wait;
  }
}
