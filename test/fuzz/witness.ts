// Data written before an abuse run, read back byte for byte afterwards:
// topics and a group's committed offsets that no fuzzed request names (the
// fuzzers use other topic and group names), so any change is corruption.
import { KafkaConnection } from '../../src/client/connection.js';
import { Admin } from '../../src/client/admin.js';
import { ApiKeys } from '../../src/protocol/kafka/index.js';
import type { Prng } from '../helpers/prng.js';
import { batchOf } from '../helpers/batches.js';

export const WITNESS_TOPICS: Readonly<Record<string, number>> = { 'witness-orders': 3, 'witness-log': 1 };
export const WITNESS_GROUP = 'witness-group';

/** Per partition ("topic/p"), the log's bytes from offset 0 to the high watermark. */
export type Snapshot = Map<string, string>;

export async function writeWitness(bootstrap: string, rng: Prng): Promise<void> {
  const admin = await Admin.connect(bootstrap);
  try {
    for (const [topic, partitions] of Object.entries(WITNESS_TOPICS)) await admin.createTopic(topic, partitions);
    const conn = admin.conn;
    for (const [topic, partitions] of Object.entries(WITNESS_TOPICS)) {
      for (let p = 0; p < partitions; p++) {
        for (let b = 0; b < 5; b++) {
          const records = Array.from({ length: rng.range(1, 20) }, (_, i) => ({ key: `k${i}`, value: rng.bytes(rng.range(0, 300)) }));
          const r = await conn.request(ApiKeys.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: p, records: batchOf(records) }] }] });
          const code = r.responses[0]!.partitionResponses[0]!.errorCode;
          if (code !== 0) throw new Error(`witness produce to ${topic}/${p} failed with ${code}`);
        }
      }
    }
    const commit = await conn.request(ApiKeys.OffsetCommit, 2, {
      groupId: WITNESS_GROUP,
      generationId: -1,
      memberId: '',
      retentionTimeMs: -1n,
      topics: [{ name: 'witness-orders', partitions: [{ partitionIndex: 1, committedOffset: 3n, committedMetadata: 'kept' }] }],
    });
    if (commit.topics[0]!.partitions[0]!.errorCode !== 0) throw new Error('witness commit failed');
  } finally {
    admin.close();
  }
}

/** The witness topics' logs and the witness group's offsets (or other topics' and groups'). */
export async function snapshot(bootstrap: string, topics: Readonly<Record<string, number>> = WITNESS_TOPICS, groups: readonly string[] = [WITNESS_GROUP]): Promise<Snapshot> {
  const [host, port] = bootstrap.split(':');
  const conn = await KafkaConnection.open(host!, Number(port), 'witness');
  const out: Snapshot = new Map();
  try {
    for (const [topic, partitions] of Object.entries(topics)) {
      for (let p = 0; p < partitions; p++) {
        const r = await conn.request(ApiKeys.Fetch, 11, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 64 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic, partitions: [{ partition: p, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 64 << 20 }] }],
          rackId: '',
        });
        const part = r.responses[0]!.partitions[0]!;
        out.set(`${topic}/${p}`, `hw=${part.highWatermark} logStart=${part.logStartOffset} error=${part.errorCode} bytes=${part.records?.toString('hex') ?? 'null'}`);
      }
    }
    for (const group of groups) {
      const offsets = await conn.request(ApiKeys.OffsetFetch, 4, { groupId: group, topics: null });
      out.set(`group ${group}`, JSON.stringify(offsets.topics, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    }
  } finally {
    conn.close();
  }
  return out;
}
