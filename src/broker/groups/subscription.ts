// The topics a consumer-group member subscribes to, from its JoinGroup
// metadata in the consumer protocol (Kafka's ConsumerProtocolSubscription,
// every version starts: int16 version, then an array of int16-length
// strings). OffsetDelete must not delete the offsets of a topic a live
// member consumes.
import type { Group } from './group.js';

/** The subscribed topics in `metadata`, or null if it does not parse. */
export function subscribedTopics(metadata: Buffer): string[] | null {
  if (metadata.length < 6) return null;
  const count = metadata.readInt32BE(2);
  if (count < 0) return null;
  const topics: string[] = [];
  let at = 6;
  for (let i = 0; i < count; i++) {
    if (at + 2 > metadata.length) return null;
    const len = metadata.readInt16BE(at);
    at += 2;
    if (len < 0 || at + len > metadata.length) return null;
    topics.push(metadata.toString('utf8', at, at + len));
    at += len;
  }
  return topics;
}

/**
 * Whether a member of the group may consume `topic`: its subscription under
 * the group's protocol (or, before one is chosen, under any it offered)
 * names it. A group of another protocol type, or metadata that does not
 * parse, counts as consuming everything: nothing says otherwise, and
 * deleting offsets a member uses would move it back.
 */
export function consumesTopic(group: Group, topic: string): boolean {
  for (const m of group.members.values()) {
    if (m.protocolType !== 'consumer') return true;
    const offered = group.protocolName !== null ? m.protocols.filter((p) => p.name === group.protocolName) : m.protocols;
    for (const p of offered) {
      const topics = subscribedTopics(p.metadata);
      if (topics === null || topics.includes(topic)) return true;
    }
  }
  return false;
}
