// RocketMQ names a group's dead-letter queue `%DLQ%<group>`, but `%` is not
// a legal Kafka topic character, and both protocols read the same topics.
// The DLQ is stored as `DLQ.<group>`: RocketMQ group names never hold a `.`
// (they are [%|a-zA-Z0-9_-]), so a `.` after the prefix is always an escape
// (`.XX`, the hex of a character Kafka names cannot hold, or of a `.` in a
// Kafka group id), and the mapping is one-to-one both ways. RocketMQ clients
// use `%DLQ%<group>`; Kafka clients `DLQ.<group>`.
//
// No retry topic: a failed message is redelivered from its own queue once
// its backoff or invisible time is over (the pop state remembers its
// attempt), so `%RETRY%<group>` names nothing here and is not resolved.
export const DLQ_PREFIX = '%DLQ%';
export const KAFKA_DLQ_PREFIX = 'DLQ.';

const KAFKA_SAFE = /[a-zA-Z0-9_-]/;

function escape(name: string): string {
  let out = '';
  for (const ch of name) {
    if (KAFKA_SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch)) out += '.' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function unescape(name: string): string | null {
  if (!/^([a-zA-Z0-9_-]|\.[0-9A-F]{2})*$/.test(name)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '.') {
      bytes.push(parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(name.charCodeAt(i));
  }
  return Buffer.from(bytes).toString();
}

/** The Kafka topic holding `group`'s dead letters. */
export function dlqTopic(group: string): string {
  return KAFKA_DLQ_PREFIX + escape(group);
}

/** The topic a RocketMQ client's name stands for: `%DLQ%g` is stored as DLQ.g; other names are themselves. */
export function storedTopic(rocketName: string): string {
  return rocketName.startsWith(DLQ_PREFIX) ? dlqTopic(rocketName.slice(DLQ_PREFIX.length)) : rocketName;
}

/** The RocketMQ name of a stored topic (`DLQ.g` is `%DLQ%g`). */
export function rocketTopic(stored: string): string {
  if (!stored.startsWith(KAFKA_DLQ_PREFIX)) return stored;
  const group = unescape(stored.slice(KAFKA_DLQ_PREFIX.length));
  return group === null || group === '' ? stored : DLQ_PREFIX + group;
}
