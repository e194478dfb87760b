// The check every peer driver passes against its real server: a topic with
// two subscriptions (one shared by two consumers), keyed and unkeyed
// messages, every message received exactly once by each subscription,
// latencies measured from the payload's stamp, then everything closed and
// the server stopped by its pid.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { DriverFactory, PeerConsumer } from '../../src/lab/peers/driver.js';
import { nowMs, payloadTemplate, readStamp, stamp } from '../../src/lab/peers/payload.js';
import type { PeerServer, ServerSpec } from '../../src/lab/peers/servers/server.js';
import type { Random } from '../../src/lab/random.js';

export interface ConformanceResult {
  received: Record<string, number>;
  latenciesMs: number[];
  server: PeerServer;
}

export async function checkPeer(o: {
  server: ServerSpec;
  driver: DriverFactory;
  mode: string;
  random: Random;
  messages?: number;
  partitions?: number;
  messageSize?: number;
}): Promise<ConformanceResult> {
  const n = o.messages ?? 300;
  const size = o.messageSize ?? 256;
  const dir = mkdtempSync(join(tmpdir(), `mqlab-peer-${o.server.system}-`));
  const server = await o.server.start(dir, o.mode);
  try {
    const driver = await o.driver({ endpoint: server.endpoint, mode: o.mode, messageSize: size });
    const topic = `conf-${o.random.int(0, 1e9)}`;
    await driver.createTopic(topic, o.partitions ?? 3);
    const seen: Record<string, Map<number, number>> = { shared: new Map(), single: new Map() };
    const latencies: number[] = [];
    let done: () => void = () => undefined;
    const allIn = new Promise<void>((resolve) => (done = resolve));
    const check = (): void => {
      if (seen.shared!.size >= n && seen.single!.size >= n) done();
    };
    const onMessage = (sub: string) => (payload: Buffer): void => {
      const s = readStamp(payload);
      expect(s, 'every payload carries its stamp').not.toBeNull();
      expect(payload.length).toBe(size);
      latencies.push(nowMs() - s!.sentMs);
      const m = seen[sub]!;
      m.set(s!.sequence, (m.get(s!.sequence) ?? 0) + 1);
      check();
    };
    const consumers: PeerConsumer[] = [
      await driver.createConsumer(topic, 'shared', onMessage('shared')),
      await driver.createConsumer(topic, 'shared', onMessage('shared')),
      await driver.createConsumer(topic, 'single', onMessage('single')),
    ];
    const producer = await driver.createProducer(topic);
    const template = payloadTemplate(size, o.random);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < n; i++) sends.push(producer.sendAsync(i % 2 ? `key-${i % 7}` : null, stamp(template, 0, i)));
    await Promise.all(sends);
    const deadline = setTimeout(() => done(), 30_000);
    await allIn;
    clearTimeout(deadline);
    for (const sub of ['shared', 'single']) {
      const m = seen[sub]!;
      expect(m.size, `${sub}: distinct messages received`).toBe(n);
      expect([...m.values()].filter((c) => c > 1).length, `${sub}: duplicates`).toBe(0);
    }
    expect(latencies.every((l) => l >= 0 && l < 30_000)).toBe(true);
    for (const c of consumers) await c.close();
    await producer.close();
    await driver.deleteTopics();
    await driver.close();
    return { received: { shared: seen.shared!.size, single: seen.single!.size }, latenciesMs: latencies, server };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(() => process.kill(server.pid, 0), 'the server process is gone').toThrow();
  }
}
