// RecallMessage handles in RocketMQ's own v1 form (RecallMessageHandle.
// HandleV1): base64url of "v1 <topic> <brokerName> <deliverMs> <messageId>".
// The delivery time in the handle names the wheel slot to look in, so a
// recall reads one slot and keeps no per-message index in memory.
export const BROKER_NAME = 'mqlab';

export interface RecallHandle {
  topic: string;
  brokerName: string;
  deliverMs: number;
  messageId: string;
}

export function buildRecallHandle(topic: string, deliverMs: number, messageId: string): string {
  return Buffer.from(['v1', topic, BROKER_NAME, String(deliverMs), messageId].join(' ')).toString('base64url');
}

/** The handle's parts, or null if it is none of ours (any version but v1, a bad time). */
export function parseRecallHandle(handle: string): RecallHandle | null {
  if (!handle || handle.length > 4096) return null;
  const items = Buffer.from(handle, 'base64url').toString('utf8').split(' ');
  if (items.length !== 5 || items[0] !== 'v1' || !/^\d{1,15}$/.test(items[3]!)) return null;
  return { topic: items[1]!, brokerName: items[2]!, deliverMs: Number(items[3]), messageId: items[4]! };
}
