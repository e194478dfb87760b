// A RocketMQ queue id as every request names one: a topic's partition. One
// wording of why an id is not one, for every path that checks it (sends,
// half messages, receives, pulls), each throwing its own error kind.

/** Why `id` names no queue of a topic with `queues` queues, or null if it does. */
export function badQueueId(topic: string, queues: number, id: unknown): string | null {
  return Number.isInteger(id) && (id as number) >= 0 && (id as number) < queues ? null : `topic "${topic}" has queues 0 to ${queues - 1}, not ${String(id)}`;
}
