// RabbitMQ as a peer: the conformance check (two subscriptions, one shared
// by two consumers, every message once to each) in both persistence modes
// against a fresh server per mode, and a start that cannot bind leaving no
// process behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RABBITMQ_MODES, rabbitmqDriver } from '../src/lab/peers/drivers/rabbitmq.js';
import { freePort } from '../src/lab/peers/servers/server.js';
import { rabbitmqServer, startRabbitmq } from '../src/lab/peers/servers/rabbitmq.js';
import { checkPeer } from './helpers/peer-conformance.js';
import { processesIn } from './helpers/processes-in.js';
import { missing } from './helpers/requires.js';
import { testRandom } from './helpers/seed.js';

const random = testRandom('peers-rabbitmq.test.ts');

describe.skipIf(missing('rabbitmq-server', rabbitmqServer.installed()))('RabbitMQ peer', () => {
  for (const mode of RABBITMQ_MODES) {
    it(`passes the conformance check with persistence ${mode.id} (${mode.label})`, async () => {
      const r = await checkPeer({ server: rabbitmqServer, driver: rabbitmqDriver, mode: mode.id, random });
      expect(r.server.version).toMatch(/^RabbitMQ \d+\.\d+/);
      expect(r.received).toEqual({ shared: 300, single: 300 });
    });
  }

  describe('a start that cannot bind', () => {
    let dir = '';
    let blocker: Server | null = null;
    afterEach(() => {
      blocker?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('says which port was taken and leaves no process behind (epmd included)', async () => {
      dir = mkdtempSync(join(tmpdir(), 'mqlab-peer-rabbitmq-bad-'));
      // The distribution port: taken, the node gives up in its prelaunch, seconds sooner than a taken AMQP port.
      blocker = createServer((s) => s.destroy());
      await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
      const taken = (blocker.address() as { port: number }).port;
      const amqpPort = await freePort();
      let epmdPort = await freePort();
      while (epmdPort === amqpPort) epmdPort = await freePort();
      await expect(startRabbitmq(dir, { amqp: amqpPort, dist: taken, epmd: epmdPort })).rejects.toThrow(`distribution port 127.0.0.1:${taken} is taken`);
      expect(processesIn(dir)).toEqual([]);
    });
  });
});
