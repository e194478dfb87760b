// The regular expressions clients send (ListTransactions v2, ConsumerGroupHeartbeat v1): RE2's syntax, whole
// ids, and the bounds that keep one pattern's cost per id matched bounded.
import { describe, expect, it } from 'vitest';
import { compileIdPattern, MAX_PATTERN_CHARS, MAX_PATTERN_INSTRUCTIONS } from '../src/broker/id-pattern.js';

const compiled = (p: string | null) => {
  const m = compileIdPattern(p);
  if (m instanceof Error) throw m;
  return m;
};

describe('id patterns', () => {
  it('match whole ids in RE2 syntax; null and empty match every id', () => {
    const m = compiled('orders-(eu|us)');
    expect(['orders-eu', 'orders-us', 'orders-eu-1', 'x-orders-eu'].map(m)).toEqual([true, true, false, false]);
    expect(compiled(null)('anything')).toBe(true);
    expect(compiled('')('anything')).toBe(true);
  });

  it('refuses what RE2 does not take (backreferences, lookarounds, bad syntax), with its reason', () => {
    for (const p of ['(a)\\1', '(?=a)', 'a(', '[z-a]']) expect(compileIdPattern(p), p).toBeInstanceOf(Error);
  });

  it(`refuses a pattern longer than ${MAX_PATTERN_CHARS} characters, or compiling to more than ${MAX_PATTERN_INSTRUCTIONS} instructions`, () => {
    expect(compileIdPattern('a'.repeat(MAX_PATTERN_CHARS))).not.toBeInstanceOf(Error);
    expect(compileIdPattern('a'.repeat(MAX_PATTERN_CHARS + 1))).toEqual(new Error(`longer than ${MAX_PATTERN_CHARS} characters`));
    // Counted repetitions multiply: 77 characters, 11,000-odd instructions. (Also checks re2js still shows its program.)
    const blown = compileIdPattern('.{1000}'.repeat(11));
    expect(blown).toBeInstanceOf(Error);
    expect((blown as Error).message).toMatch(/^compiles to \d+ instructions, more than 10000/);
    expect(compileIdPattern('.{1000}'.repeat(9))).not.toBeInstanceOf(Error);
  });

  it('gives the same compiled pattern again (members heartbeat the same regex)', () => {
    expect(compileIdPattern('cached-.*')).toBe(compileIdPattern('cached-.*'));
  });
});
