// A GroupClock that moves only when a test moves it: a session timeout, a
// rebalance timeout or the initial rebalance delay is tested by advancing
// time past it, never by waiting for it, and nothing can time out while a
// test is slow.
import type { Cancel, GroupClock } from '../../src/broker/groups/clock.js';

interface Timer {
  at: number;
  /** What it was set for, as asked. */
  ms: number;
  order: number;
  fire: () => void;
}

export class ManualClock implements GroupClock {
  /** Milliseconds advanced so far. */
  now = 0;
  private timers: Timer[] = [];
  private order = 0;
  private watchers: { match: (ms: number) => boolean; resolve: () => void }[] = [];

  after(ms: number, fire: () => void): Cancel {
    const t: Timer = { at: this.now + ms, ms, order: this.order++, fire };
    this.timers.push(t);
    for (const w of this.watchers.filter((w) => w.match(ms))) {
      this.watchers.splice(this.watchers.indexOf(w), 1);
      w.resolve();
    }
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  /** Moves time on, firing every timer that falls due in order, those they set included. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.fire();
    }
    this.now = end;
  }

  /** Timers pending, as the lengths they were set for. */
  pending(): number[] {
    return this.timers.map((t) => t.ms);
  }

  /** Resolves once a timer of a length that `match` accepts is pending (at once if one is). */
  whenSet(match: (ms: number) => boolean): Promise<void> {
    if (this.timers.some((t) => match(t.ms))) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ match, resolve }));
  }
}
