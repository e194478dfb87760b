import { StorageError } from './errors.js';
import type { TopicPartition } from './types.js';

// Kafka's rule: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..".
const LEGAL = /^[a-zA-Z0-9._-]{1,249}$/;
export const MAX_PARTITION_INDEX = 1_000_000;

export function validateTopicPartition(tp: TopicPartition): void {
  if (!LEGAL.test(tp.topic) || tp.topic === '.' || tp.topic === '..') {
    throw new StorageError('INVALID_TOPIC_EXCEPTION', `illegal topic name "${tp.topic}": use 1-249 of [a-zA-Z0-9._-]`);
  }
  if (!Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition > MAX_PARTITION_INDEX) {
    throw new StorageError('INVALID_TOPIC_EXCEPTION', `illegal partition ${tp.partition}`);
  }
}
