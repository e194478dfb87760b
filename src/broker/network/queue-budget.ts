// Request bytes held across all connections. Past the limit, connections
// stop reading until requests complete, so a flood of large requests costs
// bounded memory instead of an out-of-memory crash.
export class QueueBudget {
  private used = 0;
  private readonly paused = new Set<() => void>();

  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  get exhausted(): boolean {
    return this.used >= this.maxBytes;
  }

  take(bytes: number): void {
    this.used += bytes;
  }

  give(bytes: number): void {
    this.used -= bytes;
    if (!this.exhausted && this.paused.size > 0) {
      const resumes = [...this.paused];
      this.paused.clear();
      for (const resume of resumes) resume();
    }
  }

  /** Calls `resume` once the budget has room again. */
  waitForRoom(resume: () => void): void {
    this.paused.add(resume);
  }
}
