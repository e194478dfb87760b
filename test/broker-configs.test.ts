// Broker and topic configs: dynamic ones apply at once and survive a
// restart, read-only and unknown ones are refused, a change is all or none.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker, type BrokerConfig } from '../src/broker/broker.js';
import { numberedBatch } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';

describe('broker configs', () => {
  let tmp: ReturnType<typeof tempDir>;
  const brokers: Broker[] = [];
  const start = async (over: Partial<BrokerConfig> = {}): Promise<Broker> => {
    const b = new Broker({ dataDir: tmp.dir, engine: 'segmented', flush: { kind: 'none' }, transfer: 'sendfile', autoCreateTopics: true, numPartitions: 1, ...over });
    await b.open();
    brokers.push(b);
    return b;
  };
  const value = (b: Broker, name: string) => b.configs.describe().find((e) => e.name === name)!;
  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    for (const b of brokers.splice(0)) await b.close();
    tmp.cleanup();
  });

  it('swaps transfer.strategy live and keeps it across a restart', async () => {
    const b = await start();
    // Started at the default, which nobody set: DEFAULT_CONFIG, as Kafka shows it.
    expect(value(b, 'transfer.strategy')).toMatchObject({ value: 'sendfile', source: 'DEFAULT_CONFIG', readOnly: false });
    b.configs.alter([{ name: 'transfer.strategy', value: 'mmap' }]);
    expect(b.transfer.name).toBe('mmap');
    await b.close();
    const again = await start();
    expect(again.transfer.name).toBe('mmap');
    expect(value(again, 'transfer.strategy').source).toBe('DYNAMIC_BROKER_CONFIG');
    again.configs.alter([{ name: 'transfer.strategy', value: null }]); // back to the default
    expect(again.transfer.name).toBe('sendfile');
  });

  it('lists where each value comes from, the one in force first; a topic inherits the broker\'s source', async () => {
    const b = await start({ numPartitions: 4, retention: { retentionMs: 5000 } });
    b.configs.alter([{ name: 'num.partitions', value: '6' }]);
    expect(value(b, 'num.partitions')).toMatchObject({ value: '6', source: 'DYNAMIC_BROKER_CONFIG' });
    expect(value(b, 'num.partitions').synonyms).toEqual([
      { name: 'num.partitions', value: '6', source: 'DYNAMIC_BROKER_CONFIG' },
      { name: 'num.partitions', value: '4', source: 'STATIC_BROKER_CONFIG' },
      { name: 'num.partitions', value: '1', source: 'DEFAULT_CONFIG' },
    ]);
    b.createTopic('own', 1, { 'retention.ms': '1000' });
    b.createTopic('inherits', 1);
    const retention = (topic: string) => b.configs.describeTopic(b.topics.get(topic)!.configs).find((e) => e.name === 'retention.ms')!;
    expect(retention('own')).toMatchObject({ value: '1000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false });
    expect(retention('own').synonyms.map((x) => [x.name, x.source])).toEqual([
      ['retention.ms', 'DYNAMIC_TOPIC_CONFIG'],
      ['log.retention.ms', 'STATIC_BROKER_CONFIG'],
      ['log.retention.ms', 'DEFAULT_CONFIG'],
    ]);
    expect(retention('inherits')).toMatchObject({ value: '5000', source: 'STATIC_BROKER_CONFIG', isDefault: true });
  });

  it('refuses read-only, unknown and invalid values, changing nothing', async () => {
    const b = await start();
    expect(() => b.configs.alter([{ name: 'log.segment.bytes', value: '2048' }])).toThrow(/read-only/);
    expect(() => b.configs.alter([{ name: 'no.such.config', value: '1' }])).toThrow(/unknown broker config/);
    expect(() => b.configs.alter([{ name: 'num.partitions', value: '3' }, { name: 'transfer.strategy', value: 'carrier-pigeon' }])).toThrow(/must be one of sendfile, mmap, copy/);
    expect(value(b, 'num.partitions').value).toBe('1');
    expect(b.transfer.name).toBe('sendfile');
  });

  it('auto-creates with the num.partitions in force, and stops when auto-creation is turned off', async () => {
    const b = await start();
    b.configs.alter([{ name: 'num.partitions', value: '4' }]);
    expect(b.topic('four')!.partitions).toBe(4);
    b.configs.alter([{ name: 'auto.create.topics.enable', value: 'false' }]);
    expect(b.topic('none')).toBeUndefined();
  });

  it('honours retention.bytes per topic on the segmented engine', async () => {
    const b = await start({ segmentBytes: 4096 });
    b.topics.create('small', 1);
    b.topics.create('big', 1);
    for (let i = 0; i < 60; i++) {
      await b.produce('small', 0, numberedBatch(`s${i}`.padEnd(100, '.'), 1));
      await b.produce('big', 0, numberedBatch(`b${i}`.padEnd(100, '.'), 1));
    }
    b.alterTopicConfigs('small', [{ name: 'retention.bytes', value: '4096' }]);
    expect(b.configs.describeTopic(b.topics.get('small')!.configs).find((e) => e.name === 'retention.bytes')).toMatchObject({ value: '4096', source: 'DYNAMIC_TOPIC_CONFIG' });
    await b.enforceRetention();
    expect(b.listOffset('small', 0, -2n).offset).toBeGreaterThan(0n);
    expect(b.listOffset('big', 0, -2n).offset).toBe(0n);
    expect(() => b.alterTopicConfigs('small', [{ name: 'segment.index.bytes', value: '4096' }])).toThrow(/unsupported topic config/);
  });

  it('refuses per-topic retention on the commit log, where all topics share one log', async () => {
    const b = await start({ engine: 'commitlog' });
    b.topics.create('t', 1);
    expect(() => b.alterTopicConfigs('t', [{ name: 'retention.ms', value: '1000' }])).toThrow(/share one log/);
    b.alterTopicConfigs('t', [{ name: 'cleanup.policy', value: 'delete' }]);
  });
});
