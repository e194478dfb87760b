// The JavaScript heap's growth policy for a broker process (mqlab serve),
// as Kafka's and RocketMQ's start scripts set their JVM's collector. V8
// sizes the old generation after each full collection from what survived;
// with the broker's small live heap (tens of MB) and a young generation of
// 32 MB its own policy leaves so little room that the next incremental
// marking starts almost at once, and a busy broker runs a mark-compact
// every few hundred milliseconds (README, Garbage collection).
import { setFlagsFromString } from 'node:v8';

/**
 * Node flags a broker process starts with: V8's young generation begins at
 * 16 MB a semi-space instead of 1 MB. It can only be set when node starts
 * (the `mqlab` command's first line, and BrokerProcess for the lab's
 * brokers). V8 grows the young generation only while many of its objects
 * survive, and a broker's requests leave almost none: so a broker that
 * loads few modules at start (since the lab's stopped being imported by
 * every command, 40fbac7) stayed at the smallest size: it scavenged twice
 * as often (86 against 41 times per GB of 100-byte records produced) and
 * ran mark-compacts besides. Measured (bench broker, segmented, 100-byte
 * records, four alternated pairs): 2.47-2.79 s of broker CPU per GB
 * produced without it, 2.24-2.54 with it; the build before 40fbac7 took
 * 1.98-2.20 without it.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16'];

/** Whether this process was started with BROKER_NODE_FLAGS' young generation (or another size asked for). */
export function youngGenerationSized(): boolean {
  return process.execArgv.some((a) => a.startsWith('--min-semi-space-size') || a.startsWith('--semi-space-size'));
}

/** Applies mqlab.heap.growing.percent to this process (0: V8's own policy, left as it is). */
export function applyHeapPolicy(growingPercent: number): void {
  if (!Number.isInteger(growingPercent) || growingPercent < 0 || growingPercent > 1000) throw new Error(`mqlab.heap.growing.percent ${growingPercent}: must be an integer in [0, 1000]`);
  if (growingPercent > 0) setFlagsFromString(`--heap-growing-percent=${growingPercent}`);
}
