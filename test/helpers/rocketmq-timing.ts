// Timing delayed deliveries: each received message stamped with when its
// receive returned (acked at once), and a seeded generator for delays.
import type { MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';

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

/** A small seeded generator (mulberry32), so a failing run can be repeated. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
