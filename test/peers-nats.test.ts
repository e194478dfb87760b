// NATS JetStream as a peer: the conformance check in each persistence
// mode against a real nats-server, and the mode really is the stream's
// storage type (what the report's "on"/"off" rows claim).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { NATS_MODES, natsDriver } from '../src/lab/peers/drivers/nats.js';
import { natsServer } from '../src/lab/peers/servers/nats.js';
import { checkPeer } from './helpers/peer-conformance.js';
import { missing } from './helpers/requires.js';
import { testRandom } from './helpers/seed.js';

const random = testRandom('peers-nats.test.ts');

describe.skipIf(missing('nats-server', natsServer.installed()))('NATS JetStream peer', () => {
  for (const mode of NATS_MODES) {
    it(`passes the conformance check in mode ${mode.id}`, async () => {
      const r = await checkPeer({ server: natsServer, driver: natsDriver, mode: mode.id, random });
      expect(r.received).toEqual({ shared: 300, single: 300 });
      expect(r.server.version).toMatch(/^\d+\.\d+\.\d+/);
    });
  }

  it('stores a topic as a file stream in mode on and a memory stream in mode off; deleteTopics removes it', async () => {
    for (const [mode, storage] of [['on', 'file'], ['off', 'memory']] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'mqlab-peer-nats-mode-'));
      const server = await natsServer.start(dir, mode);
      try {
        const driver = await natsDriver({ endpoint: server.endpoint, mode, messageSize: 64 });
        await driver.createTopic('modes', 3);
        await driver.createTopic('modes', 3); // idempotent for its own topic
        const nc = await connect({ servers: `${server.endpoint.host}:${server.endpoint.port}` });
        const jsm = await nc.jetstreamManager();
        const info = await jsm.streams.info('modes');
        expect([info.config.storage, info.config.subjects, info.config.num_replicas]).toEqual([storage, ['modes'], 1]);
        await driver.deleteTopics();
        expect((await jsm.streams.names().next()).length).toBe(0);
        await nc.close();
        await driver.close();
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('refuses an unknown mode, and a stream it did not create', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqlab-peer-nats-refuse-'));
    await expect(natsServer.start(dir, 'everysec')).rejects.toThrow(/unknown persistence mode "everysec"/);
    const server = await natsServer.start(dir, 'on');
    try {
      await expect(natsDriver({ endpoint: server.endpoint, mode: 'sometimes', messageSize: 64 })).rejects.toThrow(/unknown persistence mode/);
      const first = await natsDriver({ endpoint: server.endpoint, mode: 'on', messageSize: 64 });
      await first.createTopic('taken', 1);
      const second = await natsDriver({ endpoint: server.endpoint, mode: 'on', messageSize: 64 });
      await expect(second.createTopic('taken', 1)).rejects.toThrow(/already exists .* not created by this driver/);
      await expect(second.createTopic('a.b', 1)).rejects.toThrow(/must match/);
      await second.deleteTopics();
      const nc = await connect({ servers: `${server.endpoint.host}:${server.endpoint.port}` });
      expect((await (await nc.jetstreamManager()).streams.info('taken')).config.name, 'left alone by the driver that did not create it').toBe('taken');
      await nc.close();
      await first.deleteTopics();
      await Promise.all([first.close(), second.close()]);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a consumer whose callback threw when it is closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqlab-peer-nats-throws-'));
    const server = await natsServer.start(dir, 'off');
    try {
      const driver = await natsDriver({ endpoint: server.endpoint, mode: 'off', messageSize: 64 });
      await driver.createTopic('throws', 1);
      let calls = 0;
      let called: () => void = () => undefined;
      const firstCall = new Promise<void>((resolve) => (called = resolve));
      const consumer = await driver.createConsumer('throws', 'sub', () => {
        calls++;
        called();
        throw new Error('callback bug');
      });
      const producer = await driver.createProducer('throws');
      await producer.sendAsync(null, Buffer.alloc(64));
      await firstCall;
      expect(calls).toBe(1);
      await expect(consumer.close()).rejects.toThrow(/consumer of throws\/sub stopped early: callback bug/);
      await producer.close();
      await driver.deleteTopics();
      await driver.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
