// RocketMQ's delay levels. RocketMQ 4's producers ask for one of 18 fixed
// delays (1s 5s 10s 30s 1m … 2h) and its brokers keep a queue per level;
// RocketMQ 5's clients ask for a delivery time instead, and its proxy, with
// useDelayLevel on (for brokers without the timer wheel), turns that time
// into the shortest level longer than the wait asked for, or the longest
// level past them all (ProxyConfig.computeDelayLevel), and the message is
// delivered that level's delay after it is stored. Here the same, by
// use.delay.level and message.delay.level: off, any delivery time is kept
// to the timer's precision.
import { DURATION_FORM, durationMs } from '../duration.js';

export const DEFAULT_DELAY_LEVELS = '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h';

const MAX_LEVELS = 64;
const MAX_LEVEL_MS = 365 * 86_400_000;

/** Each level's delay in ms, in the order given (level 1 first), or why the value is not a list of levels. */
export function parseDelayLevels(value: string): number[] | string {
  const parts = value.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length === 0 || parts.length > MAX_LEVELS) return `1 to ${MAX_LEVELS} levels separated by spaces, like ${DEFAULT_DELAY_LEVELS}`;
  const out: number[] = [];
  for (const p of parts) {
    const ms = durationMs(p);
    if (ms === null) return `"${p}" is not a delay: ${DURATION_FORM}`;
    if (ms < 1000 || ms > MAX_LEVEL_MS) return `"${p}" is outside 1s to 365d`;
    out.push(ms);
  }
  return out;
}

export function checkDelayLevels(value: string): string | null {
  const r = parseDelayLevels(value);
  return typeof r === 'string' ? r : null;
}

/** The level a message due `inMs` from now is sent at (1-based, as configured) and its delay. */
export function delayLevelFor(levels: readonly number[], inMs: number): { level: number; delayMs: number } {
  let best = -1;
  let longest = 0;
  for (let i = 0; i < levels.length; i++) {
    const d = levels[i]!;
    if (d > inMs && (best < 0 || d < levels[best]!)) best = i;
    if (d > levels[longest]!) longest = i;
  }
  const i = best >= 0 ? best : longest;
  return { level: i + 1, delayMs: levels[i]! };
}
