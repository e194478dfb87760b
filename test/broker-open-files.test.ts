// The open-file budget: connections hold sockets and the storage engine
// holds files (at most mqlab.storage.max.open.files), so the broker says at
// startup when those could need more files than the process may open, and
// bounds partitions (mqlab.max.partitions) for their memory. Found by the
// Kafka fuzzer (seed 523831045): CreatePartitions grew a topic to thousands
// of partitions, the broker ran out of file descriptors (EMFILE), and every
// connection after that failed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiKeys } from '../src/protocol/kafka/index.js';
import { KafkaConnection } from '../src/client/connection.js';
import { openFilesWarning, storageMaxOpenFiles } from '../src/broker/open-files.js';
import { openFileLimit, processOpenFileLimit } from '../src/storage/file-limit.js';
import { defaultMaxOpenFiles, MIN_OPEN_FILES } from '../src/storage/file-pool.js';
import { startTestBroker } from './helpers/broker.js';

describe('the open-file budget', () => {
  it('reads the soft limit from /proc/self/limits', () => {
    expect(openFileLimit('Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 1048576              files     \n')).toBe(1024);
    expect(openFileLimit('Max open files            unlimited            unlimited            files     \n')).toBe(Number.POSITIVE_INFINITY);
    expect(openFileLimit('nothing here')).toBeNull();
    expect(openFileLimit(readFileSync('/proc/self/limits', 'utf8'))).toBeGreaterThan(0);
  });

  it('gives storage what the limit leaves after the connections and the broker\'s own files, unless set', () => {
    expect(storageMaxOpenFiles(-1, 20_000, 10_000)).toBe(9_744);
    // Connections would leave nothing: half the limit, and the startup warning.
    expect(storageMaxOpenFiles(-1, 1024, 10_000)).toBe(512);
    expect(storageMaxOpenFiles(-1, 1024, 100)).toBe(668);
    expect(storageMaxOpenFiles(-1, Number.POSITIVE_INFINITY, 10_000)).toBe(Number.MAX_SAFE_INTEGER);
    expect(storageMaxOpenFiles(-1, null, 10_000)).toBe(defaultMaxOpenFiles(null));
    expect(storageMaxOpenFiles(500, 20_000, 10_000)).toBe(500);
    expect([defaultMaxOpenFiles(20_000), defaultMaxOpenFiles(null), defaultMaxOpenFiles(8)]).toEqual([10_000, 512, MIN_OPEN_FILES]);
  });

  it('warns when connections and storage could need more files than the limit', () => {
    expect(openFilesWarning(20_000, 10_000, 9_744)).toBeNull();
    expect(openFilesWarning(1024, 10_000, MIN_OPEN_FILES)).toMatch(/open-file limit \(1024\) is below what max.connections \(10000, with rocketmq.max.connections when the RocketMQ endpoint is on\) and mqlab.storage.max.open.files \(16\) may need \(about 10272\)/);
    expect(openFilesWarning(null, 10_000, 2_000)).toBeNull();
  });

  it('leaves room for the RocketMQ endpoint\'s connections too when it is on', async () => {
    const limit = processOpenFileLimit();
    const settings = { 'max.connections': '300', 'rocketmq.max.connections': '200' };
    const kafkaOnly = await startTestBroker(settings);
    const both = await startTestBroker(settings, { rocketmq: true });
    try {
      expect(kafkaOnly.broker.engine.stats().maxOpenFiles).toBe(storageMaxOpenFiles(-1, limit, 300));
      expect(both.broker.engine.stats().maxOpenFiles).toBe(storageMaxOpenFiles(-1, limit, 500));
      if (limit !== null && Number.isFinite(limit) && limit > 4 * 756) expect(storageMaxOpenFiles(-1, limit, 500)).toBe(storageMaxOpenFiles(-1, limit, 300) - 200);
    } finally {
      await kafkaOnly.destroy();
      await both.destroy();
    }
  });

  it('refuses a storage budget below the minimum', async () => {
    await expect(startTestBroker({ 'mqlab.storage.max.open.files': String(MIN_OPEN_FILES - 1) })).rejects.toThrow(/mqlab.storage.max.open.files.*must be -1 or an integer in \[16, 100000000\]/);
  });

  it('refuses partitions past mqlab.max.partitions with POLICY_VIOLATION, creating none, and keeps serving', async () => {
    const b = await startTestBroker({ 'mqlab.max.partitions': '20' });
    const conn = await KafkaConnection.open('127.0.0.1', b.port, 'files');
    try {
      const create = (name: string, numPartitions: number) => conn.request(ApiKeys.CreateTopics, 7, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect((await create('a', 10)).topics[0]!.errorCode).toBe(0);
      const before = b.broker.topics.partitionCount();
      const over = (await create('b', 21 - before)).topics[0]!;
      expect([over.errorCode, over.errorMessage]).toEqual([44, `the broker would hold 21 partitions, more than mqlab.max.partitions (20)`]);
      const grow = await conn.request(ApiKeys.CreatePartitions, 3, { topics: [{ name: 'a', count: 10 + 21 - before, assignments: null }], timeoutMs: 5000, validateOnly: false });
      expect(grow.results[0]!.errorCode).toBe(44);
      expect([b.broker.topics.get('b'), b.broker.topics.get('a')!.partitions, b.broker.topics.partitionCount()]).toEqual([undefined, 10, before]);
      expect((await create('c', 20 - before)).topics[0]!.errorCode).toBe(0);
    } finally {
      conn.close();
      await b.destroy();
    }
  });
});
