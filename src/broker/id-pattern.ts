// The regular expressions clients send to match ids (ListTransactions v2's
// TransactionalIdPattern, KIP-1152; ConsumerGroupHeartbeat v1's
// SubscribedTopicRegex, KIP-848). Compiled with RE2's syntax and engine
// (re2js), as Kafka compiles the regexes of KIP-848 subscriptions with RE2J:
// matching takes time linear in the id, so no pattern a client sends can
// hold the event loop, and the syntax has no backreferences or lookarounds.
import { RE2JS } from 're2js';

/** Matches whole ids, as Java's Matcher.matches() does. */
export type IdPattern = (id: string) => boolean;

/** null or '' means "every id"; a pattern that does not compile is an Error with RE2's reason. */
export function compileIdPattern(pattern: string | null): IdPattern | Error {
  if (pattern === null || pattern === '') return () => true;
  try {
    const re = RE2JS.compile(pattern);
    return (id) => re.matches(id);
  } catch (err) {
    return new Error((err as Error).message);
  }
}
