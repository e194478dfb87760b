// A duration as RocketMQ's settings write one: a whole number and a unit
// (500ms, 10s, 2m, 1h, 2d). Read by the retry ladder and the delay levels,
// each with its own bounds.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;

/** What a duration's text says it is wrong with, when durationMs answers null. */
export const DURATION_FORM = 'a number with ms, s, m, h or d, like 10s';

/** The duration in ms, or null if the text is not one. */
export function durationMs(text: string): number | null {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : null;
}
