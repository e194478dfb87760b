// A time limit over a sequence of awaits (a consumer's join, then its
// reading): whatever is still pending when it expires is abandoned, and the
// caller's cleanup closes the connections it was waiting on.
export class Deadline {
  private readonly timer: NodeJS.Timeout;
  private readonly expired: Promise<never>;

  constructor(ms: number, why: () => string) {
    let fail!: (err: Error) => void;
    this.expired = new Promise<never>((_, reject) => (fail = reject));
    this.expired.catch(() => undefined); // raced, or never awaited when the work ends first
    this.timer = setTimeout(() => fail(new Error(`${why()} after ${(ms / 1000).toFixed(0)} s`)), ms);
  }

  /** `work`, or the deadline's error if that comes first. */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.expired]);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** Runs `work` (a cleanup) for at most `ms`; its failure or lateness is ignored. */
export async function atMost(ms: number, work: Promise<unknown>): Promise<void> {
  const d = new Deadline(ms, () => 'cleanup');
  try {
    await d.race(work);
  } catch {
    // Cleanup of a run that already has its result, or its error.
  } finally {
    d.clear();
  }
}
