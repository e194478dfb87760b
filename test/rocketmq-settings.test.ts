// The delay and transaction settings: RocketMQ's defaults, set by flag or
// config file (key=value, as every broker setting), shown by Kafka's
// DescribeConfigs as read-only static configs; bad values are refused at
// start.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { applyProperties, DEFAULT_SERVE_SETTINGS, readPropertiesFile } from '../src/server/settings.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { tempDir } from './helpers/files.js';

describe('RocketMQ delay and transaction settings', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.destroy();
    broker = undefined;
  });

  it('DescribeConfigs shows RocketMQ\'s defaults and the values set, read-only', async () => {
    broker = await startTestBroker({ 'transaction.check.max': '3', 'timer.precision.ms': '50' }, { rocketmq: true });
    const admin = new Kafka({ clientId: 'admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }] });
      const entries = new Map(r.resources[0]!.configEntries.map((e) => [e.configName, e]));
      const shown = (n: string) => [entries.get(n)?.configValue, entries.get(n)?.isDefault, entries.get(n)?.readOnly];
      expect(shown('transaction.timeout.ms')).toEqual(['6000', true, true]);
      expect(shown('transaction.check.interval.ms')).toEqual(['30000', true, true]);
      expect(shown('transaction.check.max')).toEqual(['3', false, true]);
      expect(shown('timer.max.delay.ms')).toEqual([String(3 * 24 * 3600 * 1000), true, true]);
      expect(shown('timer.precision.ms')).toEqual(['50', false, true]);
      expect(shown('timer.max.pending.messages')).toEqual(['1000000', true, true]);
    } finally {
      await admin.disconnect();
    }
  });

  it('takes them from a config file and refuses bad values', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'server.properties');
      writeFileSync(file, 'transaction.timeout.ms=2500\ntimer.max.delay.ms=60000\n');
      const s = applyProperties(DEFAULT_SERVE_SETTINGS, readPropertiesFile(file));
      expect([s.configs['transaction.timeout.ms'], s.configs['timer.max.delay.ms']]).toEqual(['2500', '60000']);
    } finally {
      tmp.cleanup();
    }
    expect(() => applyProperties(DEFAULT_SERVE_SETTINGS, { 'timer.precision.ms': '0' })).toThrow(/timer.precision.ms=0/);
    expect(() => applyProperties(DEFAULT_SERVE_SETTINGS, { 'transaction.check.max': '-1' })).toThrow(/transaction.check.max/);
  });

  it('a wheel too large for the delay at that precision stops the start with a clear message', async () => {
    await expect(startTestBroker({ 'timer.max.delay.ms': String(30 * 24 * 3600 * 1000), 'timer.precision.ms': '10' }, { rocketmq: true })).rejects.toThrow(/wheel slots/);
  });
});
