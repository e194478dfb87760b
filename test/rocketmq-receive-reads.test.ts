// A receive reads the log once for its batch: records a few bytes longer
// than the queue's last batch (a body CRC of more digits, a longer id) do
// not leave its last message to a second read. In process, on a real
// broker and its files; the addon's scan is wrapped to count its calls.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PopJournal } from '../src/broker/rocketmq/pop-journal.js';
import { PopService } from '../src/broker/rocketmq/pop-service.js';
import { publish } from '../src/broker/rocketmq/publish.js';
import { native } from '../src/native/addon.js';
import { applyProperties, DEFAULT_SERVE_SETTINGS } from '../src/server/settings.js';
import { startBroker } from '../src/server/start.js';
import { Prng } from './helpers/prng.js';
import { plainMessage } from './helpers/rocket-message.js';

const SEED = 20261206;
const scan = native.rmqScanBatches;

afterEach(() => {
  native.rmqScanBatches = scan;
});

describe.each(['segmented', 'commitlog'] as const)('RocketMQ receive reads (%s)', (engine) => {
  it('reads 32 one-message batches of sizes a few bytes apart once a receive', async () => {
    console.log(`receive reads: seed ${SEED}`);
    const p = new Prng(SEED);
    const dir = mkdtempSync(join(tmpdir(), 'mqlab-receive-reads-'));
    const running = await startBroker(applyProperties(DEFAULT_SERVE_SETTINGS, { port: '0', 'log.dirs': dir, 'mqlab.flush': 'none', 'mqlab.storage.engine': engine }));
    const journal = new PopJournal(running.broker.engine, running.broker.topics, () => undefined);
    try {
      running.broker.topics.create('t', 1, { 'message.type': 'NORMAL' });
      journal.open(() => -1n);
      const pop = new PopService(running.broker, () => undefined, () => false, journal, 200);
      // Bodies of 1,024 to 1,027 bytes, each its own batch, as a producer sending one message a request stores them.
      for (let i = 0; i < 32 * 6; i++) await publish(running.broker, 't', 0, [{ ...plainMessage, messageId: `01AABBCCDDEEFF${String(i).padStart(20, '0')}`, body: Buffer.alloc(1024 + p.int(4), i) }]);
      let scans = 0;
      native.rmqScanBatches = (...args) => {
        scans++;
        return scan(...args);
      };
      const perReceive: number[] = [];
      for (let got = 0; got < 32 * 6; ) {
        const before = scans;
        const popped = await pop.pop({ group: 'g', topic: 't', partition: 0, batchSize: 32, invisibleMs: 30_000, pollMs: 0, filter: { all: true }, renewFor: null, cancelled: () => false });
        expect(popped.map((d) => d.offset)).toEqual(Array.from({ length: 32 }, (_, i) => got + i));
        got += popped.length;
        perReceive.push(scans - before);
      }
      // The first receive has no estimate yet: it reads one batch to learn its size, then the rest.
      expect(perReceive).toEqual([2, 1, 1, 1, 1, 1]);
      await pop.close();
    } finally {
      journal.close();
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
