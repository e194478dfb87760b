// The regular expressions clients send to match ids (ListTransactions v2's
// TransactionalIdPattern, KIP-1152; ConsumerGroupHeartbeat v1's
// SubscribedTopicRegex, KIP-848). Compiled with RE2's syntax and engine
// (re2js), as Kafka compiles the regexes of KIP-848 subscriptions with RE2J:
// no backtracking, no backreferences or lookarounds. Matching is linear in
// the id but also in the compiled program, which counted repetitions blow
// up (`.{1000}` is a thousand instructions), so both the pattern and its
// program are bounded: a pattern a client sends costs at most a bounded
// amount per id it is tested against, on the event loop.
import { RE2JS } from 're2js';

/** Longest pattern taken, in characters. */
export const MAX_PATTERN_CHARS = 1000;
/** Largest compiled program taken, in RE2 instructions (each costs a step per character matched). */
export const MAX_PATTERN_INSTRUCTIONS = 10_000;
/** Compiled patterns kept: members heartbeat the same regex again and again. */
const CACHE_SIZE = 256;

/** Matches whole ids, as Java's Matcher.matches() does. */
export type IdPattern = (id: string) => boolean;

const cache = new Map<string, IdPattern | Error>();

/** null or '' means "every id"; a pattern that does not compile, or is too large, is an Error saying why. */
export function compileIdPattern(pattern: string | null): IdPattern | Error {
  if (pattern === null || pattern === '') return () => true;
  const cached = cache.get(pattern);
  if (cached !== undefined) {
    cache.delete(pattern);
    cache.set(pattern, cached);
    return cached;
  }
  const compiled = compile(pattern);
  cache.set(pattern, compiled);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return compiled;
}

function compile(pattern: string): IdPattern | Error {
  if (pattern.length > MAX_PATTERN_CHARS) return new Error(`longer than ${MAX_PATTERN_CHARS} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    return new Error((err as Error).message);
  }
  const size = programSize(re);
  if (size > MAX_PATTERN_INSTRUCTIONS) return new Error(`compiles to ${size} instructions, more than ${MAX_PATTERN_INSTRUCTIONS} (counted repetitions multiply)`);
  return (id) => re.matches(id);
}

/** The compiled program's length, which re2js keeps internally (a test checks it is still there: without it only the length limit holds). */
function programSize(re: RE2JS): number {
  const inst = (re as unknown as { re2Input?: { prog?: { inst?: unknown[] } } }).re2Input?.prog?.inst;
  return Array.isArray(inst) ? inst.length : 0;
}
