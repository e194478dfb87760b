// ActiveMQ as a peer: the conformance check (two subscriptions, one shared
// by two consumers, every message once to each) in both persistence modes
// against a fresh broker per mode, destination names that need escaping,
// and a start that cannot bind leaving no process behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTIVEMQ_MODES, activemqDriver, destinationSegment } from '../src/lab/peers/drivers/activemq.js';
import { activemqServer, startActivemq } from '../src/lab/peers/servers/activemq.js';
import { checkPeer } from './helpers/peer-conformance.js';
import { processesIn } from './helpers/processes-in.js';
import { missing } from './helpers/requires.js';
import { testRandom } from './helpers/seed.js';

const random = testRandom('peers-activemq.test.ts');

describe('ActiveMQ destination names', () => {
  it('keeps plain names and escapes what ActiveMQ reads as structure', () => {
    expect(destinationSegment('bench-0_x')).toBe('bench-0_x');
    expect(destinationSegment('a.b')).toBe('a~2eb');
    expect(destinationSegment('*>,/~')).toBe('~2a~3e~2c~2f~7e');
  });
});

describe.skipIf(missing('activemq', activemqServer.installed()))('ActiveMQ peer', () => {
  for (const mode of ACTIVEMQ_MODES) {
    it(`passes the conformance check with persistence ${mode.id} (${mode.label})`, async () => {
      const r = await checkPeer({ server: activemqServer, driver: activemqDriver, mode: mode.id, random });
      expect(r.server.version).toMatch(/^ActiveMQ \d+\.\d+/);
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

    it('says which port was taken and leaves no JVM behind', async () => {
      dir = mkdtempSync(join(tmpdir(), 'mqlab-peer-activemq-bad-'));
      blocker = createServer((s) => s.destroy());
      await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
      const taken = (blocker.address() as { port: number }).port;
      await expect(startActivemq(dir, taken)).rejects.toThrow(`could not listen for STOMP on 127.0.0.1:${taken}`);
      expect(processesIn(dir)).toEqual([]);
    });
  });
});
