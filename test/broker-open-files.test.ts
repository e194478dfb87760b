// The open-file budget: connections and partitions hold files, so the
// broker bounds partitions (mqlab.max.partitions) and says at startup when
// its limits could need more files than the process may open. Found by the
// Kafka fuzzer (seed 523831045): CreatePartitions grew a topic to thousands
// of partitions, the broker ran out of file descriptors (EMFILE), and every
// connection after that failed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiKeys } from '../src/protocol/kafka/index.js';
import { KafkaConnection } from '../src/client/connection.js';
import { openFileLimit, openFilesWarning } from '../src/server/open-files.js';
import { startTestBroker } from './helpers/broker.js';

describe('the open-file budget', () => {
  it('reads the soft limit from /proc/self/limits', () => {
    expect(openFileLimit('Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 1048576              files     \n')).toBe(1024);
    expect(openFileLimit('Max open files            unlimited            unlimited            files     \n')).toBe(Number.POSITIVE_INFINITY);
    expect(openFileLimit('nothing here')).toBeNull();
    expect(openFileLimit(readFileSync('/proc/self/limits', 'utf8'))).toBeGreaterThan(0);
  });

  it('warns when connections and partitions could need more files than the limit', () => {
    expect(openFilesWarning(20_000, 10_000, 2_000)).toBeNull();
    expect(openFilesWarning(1024, 10_000, 2_000)).toMatch(/open-file limit \(1024\) is below what max.connections \(10000\) and mqlab.max.partitions \(2000\) may need \(about 16256\)/);
    expect(openFilesWarning(null, 10_000, 2_000)).toBeNull();
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
