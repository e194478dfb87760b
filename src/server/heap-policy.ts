// The JavaScript heap's growth policy for a broker process (mqlab serve),
// as Kafka's and RocketMQ's start scripts set their JVM's collector. V8
// sizes the old generation after each full collection from what survived;
// with the broker's small live heap (tens of MB) and a young generation of
// 32 MB its own policy leaves so little room that the next incremental
// marking starts almost at once, and a busy broker runs a mark-compact
// every few hundred milliseconds (README, Garbage collection).
import { setFlagsFromString } from 'node:v8';

/** Applies mqlab.heap.growing.percent to this process (0: V8's own policy, left as it is). */
export function applyHeapPolicy(growingPercent: number): void {
  if (!Number.isInteger(growingPercent) || growingPercent < 0 || growingPercent > 1000) throw new Error(`mqlab.heap.growing.percent ${growingPercent}: must be an integer in [0, 1000]`);
  if (growingPercent > 0) setFlagsFromString(`--heap-growing-percent=${growingPercent}`);
}
