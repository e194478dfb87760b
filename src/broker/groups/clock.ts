// Where the group coordinator's timers come from (session timeouts,
// rebalance timeouts, the initial rebalance delay). The broker runs them on
// Node's timers; tests hand in a clock they move by hand, so a timeout is
// tested by advancing time, not by waiting for it.
export type Cancel = () => void;

export interface GroupClock {
  /** Calls `fire` once, `ms` from now, unless cancelled first. */
  after(ms: number, fire: () => void): Cancel;
}

export const systemClock: GroupClock = {
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    // A group waiting on a timeout must not keep a closing process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
