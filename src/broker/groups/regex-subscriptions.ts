// The regexes a consumer group's members subscribe with (ConsumerGroupHeartbeat
// v1, KIP-848), each resolved to the topic names it matches: a new regex
// against every topic, and, when topics come or go, the known ones against
// the new topics only (matching costs a step per compiled instruction per
// character, so a topic is matched against a regex once). Internal topics
// never match, as in Kafka.
import { compileIdPattern, type IdPattern } from '../id-pattern.js';
import type { TopicsView } from './consumer-group.js';

const NONE: ReadonlySet<string> = new Set();

export class RegexSubscriptions {
  /** Regex -> members subscribing with it. */
  private readonly members = new Map<string, number>();
  /** Regex -> the topic names it matches, as of topics revision `resolvedAt`. */
  private readonly resolved = new Map<string, Set<string>>();
  private resolvedAt = -1;
  /** The topic names regexes were last matched against. */
  private matchedTopics = new Set<string>();

  constructor(private readonly view: TopicsView) {}

  /** One member more (1) or fewer (-1) subscribing with `regex`. */
  count(regex: string, by: 1 | -1): void {
    const n = (this.members.get(regex) ?? 0) + by;
    if (n > 0) this.members.set(regex, n);
    else this.members.delete(regex);
  }

  /** The topics `regex` matches now (empty for a regex no member uses). */
  matches(regex: string): ReadonlySet<string> {
    this.resolve();
    return this.resolved.get(regex) ?? NONE;
  }

  /** Every topic some member's regex matches now. */
  topics(): Set<string> {
    this.resolve();
    const all = new Set<string>();
    for (const names of this.resolved.values()) for (const name of names) all.add(name);
    return all;
  }

  private resolve(): void {
    const revision = this.view.revision;
    for (const regex of this.resolved.keys()) if (!this.members.has(regex)) this.resolved.delete(regex);
    if (revision !== this.resolvedAt) {
      const now = new Set(this.view.list().flatMap((t) => (t.internal ? [] : [t.name])));
      const added = [...now].filter((name) => !this.matchedTopics.has(name));
      for (const [regex, names] of this.resolved) {
        for (const name of names) if (!now.has(name)) names.delete(name);
        const matches = pattern(regex);
        for (const name of added) if (matches(name)) names.add(name);
      }
      this.matchedTopics = now;
      this.resolvedAt = revision;
    }
    for (const regex of this.members.keys()) {
      if (this.resolved.has(regex)) continue;
      const matches = pattern(regex);
      this.resolved.set(regex, new Set([...this.matchedTopics].filter((name) => matches(name))));
    }
  }
}

function pattern(regex: string): IdPattern {
  const matches = compileIdPattern(regex);
  // Checked when the member sent it (checkHeartbeat): a regex here always compiles.
  if (matches instanceof Error) throw matches;
  return matches;
}
