// The retry backoff ladder: how long a message a consumer failed waits
// before its next delivery, by the attempt that failed. RocketMQ's default
// is its delay levels 3 to 18 (what a failed message of a push consumer
// waited in RocketMQ 4's retry topic, and what RocketMQ 5's proxy sends push
// consumers as their customized backoff); past the last step the last one
// repeats.
import { DURATION_FORM, durationMs } from './duration.js';

export const DEFAULT_LADDER = '10s,30s,1m,2m,3m,4m,5m,6m,7m,8m,9m,10m,20m,30m,1h,2h';

/** A step longer than the longest invisible time a message can have makes no sense. */
const MAX_STEP_MS = 12 * 3_600_000;
const MAX_STEPS = 64;

let lastValue: string | null = null;
let lastParsed: readonly number[] | string = '';

/** The steps in ms, or a reason the value is not a ladder. */
export function parseLadder(value: string): number[] | string {
  // Read on every receive (the group's settings): the last value's answer is kept, and copied, as callers own it.
  if (value === lastValue) return typeof lastParsed === 'string' ? lastParsed : [...lastParsed];
  const parsed = parseSteps(value);
  lastValue = value;
  lastParsed = typeof parsed === 'string' ? parsed : [...parsed];
  return parsed;
}

function parseSteps(value: string): number[] | string {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > MAX_STEPS) return `1 to ${MAX_STEPS} steps, like ${DEFAULT_LADDER}`;
  const steps: number[] = [];
  for (const p of parts) {
    const ms = durationMs(p);
    if (ms === null) return `"${p}" is not a duration: ${DURATION_FORM}`;
    if (ms > MAX_STEP_MS) return `"${p}" is over 12h, the longest invisible time`;
    steps.push(ms);
  }
  return steps;
}

export function checkLadder(value: string): string | null {
  const r = parseLadder(value);
  return typeof r === 'string' ? r : null;
}

/** The wait after delivery `attempt` (1-based) failed. */
export function backoffMs(steps: readonly number[], attempt: number): number {
  return steps[Math.min(Math.max(attempt, 1), steps.length) - 1] ?? 0;
}
