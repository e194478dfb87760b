// How many unacknowledged messages a consumer may hold (RabbitMQ's basic.qos,
// ActiveMQ's prefetch): 1000, the figure both systems' guides start from,
// fewer for big messages so a consumer holds about 32 MiB at most.
export function prefetchFor(messageSize: number): number {
  return Math.max(16, Math.min(1000, Math.floor((32 * 1024 * 1024) / Math.max(1, messageSize))));
}
