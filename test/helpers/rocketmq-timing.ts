// Timing delayed deliveries: each received message stamped with when its
// receive returned (acked at once), and a seeded generator for delays.
import type { MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';
import { seededRandom } from '../../src/lab/random.js';

export interface Received {
  m: MessageView;
  at: number;
}

/** Receives (long polls) until `count` messages came or `timeoutMs` passed; each stamped with when its receive returned. */
export async function receiveStamped(c: SimpleConsumer, count: number, timeoutMs: number): Promise<Received[]> {
  const out: Received[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) {
    const got = await c.receive(16, 30_000);
    const at = Date.now();
    for (const m of got) {
      out.push({ m, at });
      await c.ack(m);
    }
  }
  return out;
}

/** A seeded generator (src/lab/random.ts), so a failing run can be repeated. */
export function seeded(seed: number): () => number {
  return seededRandom(seed, 'rocketmq-timing').next;
}
