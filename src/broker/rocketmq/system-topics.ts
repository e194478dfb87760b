// RocketMQ names a group's dead-letter queue `%DLQ%<group>` and its retry
// topic `%RETRY%<group>`, but `%` is not a legal Kafka topic character, and
// both protocols read the same topics. They are stored as `DLQ.<group>` and
// `RETRY.<group>`: RocketMQ group names never hold a `.` (they are
// [%|a-zA-Z0-9_-]), so a `.` after the prefix is always an escape (`.XX`,
// the hex of a character Kafka names cannot hold, or of a `.` in a Kafka
// group id), and the mapping is one-to-one both ways. RocketMQ clients use
// the `%` names; Kafka clients the stored ones.
export const DLQ_PREFIX = '%DLQ%';
export const KAFKA_DLQ_PREFIX = 'DLQ.';
export const RETRY_PREFIX = '%RETRY%';
export const KAFKA_RETRY_PREFIX = 'RETRY.';

const KAFKA_SAFE = /[a-zA-Z0-9_-]/;
/** RocketMQ's prefix and the stored one, for each kind of system topic. */
const KINDS = [
  [DLQ_PREFIX, KAFKA_DLQ_PREFIX],
  [RETRY_PREFIX, KAFKA_RETRY_PREFIX],
] as const;

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

/** The group whose topics were named last, and the names: a group's receives ask for them again and again. */
let last = { group: '', dlq: KAFKA_DLQ_PREFIX, retry: KAFKA_RETRY_PREFIX };

function named(group: string): typeof last {
  if (last.group !== group) {
    const escaped = escape(group);
    last = { group, dlq: KAFKA_DLQ_PREFIX + escaped, retry: KAFKA_RETRY_PREFIX + escaped };
  }
  return last;
}

/** The Kafka topic holding `group`'s dead letters. */
export function dlqTopic(group: string): string {
  return named(group).dlq;
}

/** The Kafka topic holding `group`'s retries (retry-topic.ts). */
export function retryTopic(group: string): string {
  return named(group).retry;
}

/** The topic a RocketMQ client's name stands for: `%DLQ%g` is stored as DLQ.g, `%RETRY%g` as RETRY.g; other names are themselves. */
export function storedTopic(rocketName: string): string {
  if (rocketName.charCodeAt(0) !== 37) return rocketName; // '%'
  for (const [rocket, kafka] of KINDS) if (rocketName.startsWith(rocket)) return kafka + escape(rocketName.slice(rocket.length));
  return rocketName;
}

/** The RocketMQ name of a stored topic (`DLQ.g` is `%DLQ%g`, `RETRY.g` is `%RETRY%g`). */
export function rocketTopic(stored: string): string {
  for (const [rocket, kafka] of KINDS) {
    if (!stored.startsWith(kafka)) continue;
    const group = unescape(stored.slice(kafka.length));
    return group === null || group === '' ? stored : rocket + group;
  }
  return stored;
}
