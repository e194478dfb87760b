// Redis Streams as a peer: the conformance check in each persistence mode
// against a real redis-server, the mode really is the server's AOF setting
// (and what reaches the data directory), and the driver refuses a server
// whose setting is not the mode it was asked for.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { REDIS_MODES, redisDriver } from '../src/lab/peers/drivers/redis.js';
import type { PeerServer } from '../src/lab/peers/servers/server.js';
import { redisServer } from '../src/lab/peers/servers/redis.js';
import { checkPeer } from './helpers/peer-conformance.js';
import { missing } from './helpers/requires.js';
import { testRandom } from './helpers/seed.js';

const random = testRandom('peers-redis.test.ts');

async function withServer(mode: string, body: (server: PeerServer, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `mqlab-peer-redis-${mode}-`));
  const server = await redisServer.start(dir, mode);
  try {
    await body(server, dir);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(missing('redis-server', redisServer.installed()))('Redis Streams peer', () => {
  for (const mode of REDIS_MODES) {
    it(`passes the conformance check in mode ${mode.id}`, async () => {
      const r = await checkPeer({ server: redisServer, driver: redisDriver, mode: mode.id, random });
      expect(r.received).toEqual({ shared: 300, single: 300 });
      expect(r.server.version).toMatch(/^\d+\.\d+\.\d+$/);
    });
  }

  it('runs the server with the mode\'s AOF setting, and only the AOF modes leave the entries on disk', async () => {
    const expected: Record<string, [string, string]> = { on: ['yes', 'always'], everysec: ['yes', 'everysec'], off: ['no', 'everysec'] };
    expect(REDIS_MODES.map((m) => m.id).sort()).toEqual(Object.keys(expected).sort());
    for (const mode of REDIS_MODES) {
      await withServer(mode.id, async (server, dir) => {
        const r = new Redis({ host: server.endpoint.host, port: server.endpoint.port, protocol: 2 });
        const config = await Promise.all(['appendonly', 'appendfsync', 'save'].map(async (k) => ((await r.call('CONFIG', 'GET', k)) as string[])[1]));
        expect(config, mode.id).toEqual([...expected[mode.id]!, '']);
        await r.quit();

        const driver = await redisDriver({ endpoint: server.endpoint, mode: mode.id, messageSize: 32 });
        await driver.createTopic('modes', 2);
        const producer = await driver.createProducer('modes');
        const marker = `marker-${mode.id}-${random.int(0, 1e9)}`;
        await producer.sendAsync(null, Buffer.from(marker));
        const aofDir = join(dir, 'appendonlydir');
        if (mode.appendonly === 'yes') {
          // Acknowledged means written to the AOF (and, in "on", fdatasynced before the reply).
          const incr = readdirSync(aofDir).find((f) => f.endsWith('.incr.aof'))!;
          expect(readFileSync(join(aofDir, incr), 'latin1')).toContain(marker);
        } else {
          expect(readdirSync(dir).sort()).toEqual(['redis.conf']);
        }
        await producer.close();
        await driver.deleteTopics();
        await driver.close();
      });
    }
  });

  it('refuses a server whose AOF setting is not the mode, an unknown mode, and a key it did not create', async () => {
    await expect(redisServer.start('/nonexistent', 'sometimes')).rejects.toThrow(/unknown persistence mode "sometimes"/);
    await withServer('off', async (server) => {
      const endpoint = server.endpoint;
      await expect(redisDriver({ endpoint, mode: 'on', messageSize: 64 })).rejects.toThrow(/mode on needs appendonly yes and appendfsync always, but the server has appendonly no/);
      const r = new Redis({ host: endpoint.host, port: endpoint.port, protocol: 2 });
      await r.set('taken', 'x');
      const driver = await redisDriver({ endpoint, mode: 'off', messageSize: 64 });
      await expect(driver.createTopic('taken', 1)).rejects.toThrow(/key "taken" already exists \(type string\) and was not created by this driver/);
      await driver.deleteTopics();
      expect(await r.get('taken')).toBe('x');
      await r.quit();
      await driver.close();
    });
  });

  it('closes a consumer blocked in XREADGROUP at once, and deleteTopics removes the stream', async () => {
    await withServer('off', async (server) => {
      const driver = await redisDriver({ endpoint: server.endpoint, mode: 'off', messageSize: 64 });
      await driver.createTopic('idle', 1);
      const consumer = await driver.createConsumer('idle', 'sub', () => undefined);
      const r = new Redis({ host: server.endpoint.host, port: server.endpoint.port, protocol: 2 });
      // The group exists once createConsumer resolves (nothing sent later can be missed).
      expect(((await r.call('XINFO', 'GROUPS', 'idle')) as unknown[][]).map((g) => g[1])).toEqual(['sub']);
      // Its read blocks with BLOCK 0 (for ever): a close that waited for it would never end, and the test would time out.
      await consumer.close();
      await driver.deleteTopics();
      expect(await r.exists('idle')).toBe(0);
      await r.quit();
      await driver.close();
    });
  });

  it('reports a consumer whose callback threw when it is closed', async () => {
    await withServer('off', async (server) => {
      const driver = await redisDriver({ endpoint: server.endpoint, mode: 'off', messageSize: 64 });
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
      await expect(consumer.close()).rejects.toThrow(/consumer .* of throws\/sub stopped early: callback bug/);
      await producer.close();
      await driver.deleteTopics();
      await driver.close();
    });
  });
});
