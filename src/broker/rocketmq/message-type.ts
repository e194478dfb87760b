// A topic's RocketMQ message type, its topic config `message.type` (as
// RocketMQ 5's topic attribute message.type): a producer may send only that
// type to it. Kafka producers are not checked: they know no types.
import type { TopicInfo } from '../topics.js';

export const MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const MESSAGE_TYPE_CONFIG = 'message.type';

export function topicMessageType(t: TopicInfo): MessageType {
  const v = t.configs[MESSAGE_TYPE_CONFIG];
  return (MESSAGE_TYPES as readonly string[]).includes(v ?? '') ? (v as MessageType) : 'NORMAL';
}

/** The types this broker stores so far; the others are refused with a clear status until implemented. */
export const STORED_MESSAGE_TYPES: readonly MessageType[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];
