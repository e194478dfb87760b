// Waiting on a condition instead of sleeping: checked after every turn of
// the event loop, so it resolves as soon as the thing has happened, and
// gives up (failing the test) after a bounded number of turns.
export async function until(what: string, ready: () => boolean, maxTurns = 500_000): Promise<void> {
  for (let turns = 0; !ready(); turns++) {
    if (turns > maxTurns) throw new Error(`gave up waiting until ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Lets the event loop turn `n` times: long enough for anything already due to have happened. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/**
 * For conditions that change only when the test hears of something (a
 * client's callback, an observer): whatever hears of it calls `made()`, and
 * `until` checks its condition then (and at once), never in between. Fails
 * after `ms` with what it waited for: a deadline, not a pace.
 */
export class Progress {
  private readonly checks = new Set<() => void>();

  /** Something happened: every waiting `until` checks its condition again. */
  made(): void {
    for (const check of [...this.checks]) check();
  }

  until(what: string, ready: () => boolean, ms = 30_000): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const finish = (err: Error | null): void => {
        clearTimeout(timer);
        this.checks.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (ready()) finish(null);
      };
      const timer = setTimeout(() => finish(new Error(`no ${what} within ${ms} ms`)), ms);
      this.checks.add(check);
    });
  }
}
