// Request body bytes held in memory across all HTTP requests. A produce
// body is read whole before it is appended (up to maxBodyBytes each), so
// many connections sending large bodies at once would otherwise cost memory
// without bound. Past the budget, bodies stop being read (their clients
// wait, as Kafka clients do behind queued.max.request.bytes) until bodies
// done with give their bytes back; except the body that began first, which
// reads on, so that bodies read part way never wait on each other for ever.
// Memory stays under the budget plus one body (and a chunk per connection); and a client holds only
// what it has sent, not what it claims it will send.
export class BodyReading {
  held = 0;
  private resume: (() => void) | null = null;

  constructor(private readonly budget: BodyBudget) {}

  /** Counts a chunk read; false if reading should pause until `waitForTurn` calls back. */
  take(bytes: number): boolean {
    this.held += bytes;
    return this.budget.took(this, bytes);
  }

  waitForTurn(resume: () => void): void {
    this.resume = resume;
  }

  /** The body is read (or given up): it no longer holds the head of the line. Its bytes stay held until given back. */
  end(): void {
    this.resume = null;
    this.budget.ended(this);
  }

  /** @internal */
  wake(): void {
    const r = this.resume;
    this.resume = null;
    r?.();
  }
}

export class BodyBudget {
  private used = 0;
  /** Bodies being read, oldest first. */
  private readonly reading = new Set<BodyReading>();

  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  start(): BodyReading {
    const r = new BodyReading(this);
    this.reading.add(r);
    return r;
  }

  give(bytes: number): void {
    if (bytes === 0) return;
    this.used -= bytes;
    if (this.used < this.maxBytes) for (const r of this.reading) r.wake();
  }

  /** @internal */
  took(r: BodyReading, bytes: number): boolean {
    this.used += bytes;
    return this.used < this.maxBytes || this.oldest() === r;
  }

  /** @internal */
  ended(r: BodyReading): void {
    this.reading.delete(r);
    // The next oldest may read on, whatever the budget says.
    this.oldest()?.wake();
  }

  private oldest(): BodyReading | undefined {
    return this.reading.values().next().value;
  }
}
