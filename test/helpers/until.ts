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
