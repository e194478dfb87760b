// Valid requests to start mutating from: for every served API and every
// advertised version, a body built by walking the API's own declaration, so
// a version added to the tables is fuzzed without touching this file.
// Values are plausible for this broker (fuzz topics, fresh groups, short
// waits), so that mutations reach the handlers and not only the decoder.
import { bytesOf, encodeRequest, inVersions, KAFKA_APIS, type Field, type KafkaApi } from '../../src/protocol/kafka/index.js';
import { encodeBatch } from '../../src/records/index.js';
import { encodeSubscription } from '../../src/client/consumer-protocol.js';
import type { Prng } from '../helpers/prng.js';

/** Topics the fuzzer may create, write, alter and delete; the witness topics are never among them. */
export const FUZZ_TOPICS = ['fz-a', 'fz-b', 'fz-c', 'fz-d'];

export interface Seed {
  apiKey: number;
  apiVersion: number;
  /** The request without its size prefix. */
  body: Buffer;
  /** The record batches inside it (Produce), to find and mutate them. */
  batches: Buffer[];
}

/** Every advertised (api, version) pair. */
export function servedVersions(): { api: KafkaApi; version: number }[] {
  return KAFKA_APIS.flatMap((api) => Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => ({ api, version: api.minVersion + i })));
}

const CONFIG_VALUES: Record<string, readonly string[]> = {
  'transfer.strategy': ['sendfile', 'mmap', 'copy'],
  'auto.create.topics.enable': ['true'],
  'num.partitions': ['1', '2'],
  'retention.ms': ['600000', '-1'],
  'retention.bytes': ['-1', '10485760'],
  'cleanup.policy': ['delete'],
};

class SeedBuilder {
  readonly batches: Buffer[] = [];

  constructor(
    private readonly rng: Prng,
    private readonly version: number,
    private readonly groupId: string,
  ) {}

  struct(fields: readonly Field[], parent: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (!inVersions(f.versions, this.version)) continue;
      const key = f.name.charAt(0).toLowerCase() + f.name.slice(1);
      if (inVersions(f.nullableVersions, this.version) && this.rng.chance(0.05)) {
        out[key] = null;
        continue;
      }
      out[key] = this.value(f, parent, out);
    }
    return out;
  }

  private value(f: Field, parent: string, siblings: Record<string, unknown>): unknown {
    const r = this.rng;
    if (f.fields !== undefined) {
      if (!f.type.startsWith('[]')) return this.struct(f.fields, f.name);
      return Array.from({ length: r.weighted([[1, 0], [6, 1], [3, 2], [1, 3]]) }, () => this.struct(f.fields!, f.name));
    }
    if (f.type.startsWith('[]')) {
      return Array.from({ length: r.range(0, 3) }, () => this.scalar({ ...f, type: f.type.slice(2) } as Field, parent, siblings));
    }
    return this.scalar(f, parent, siblings);
  }

  private scalar(f: Field, parent: string, siblings: Record<string, unknown>): unknown {
    const r = this.rng;
    switch (f.name) {
      case 'Acks':
        return r.weighted([[5, -1], [4, 1], [1, 0]]);
      case 'MaxWaitMs':
        return r.range(0, 100);
      case 'MinBytes':
        return r.range(0, 1);
      case 'MaxBytes':
      case 'PartitionMaxBytes':
        return r.pick([1, 1024, 65536, 1048576]);
      case 'ReplicaId':
        return -1;
      // Mostly sessionless; some open sessions (epoch 0), some name one, right or not.
      case 'SessionId':
        return r.weighted([[8, 0], [2, r.range(1, 0x7fffffff)]]);
      case 'SessionEpoch':
        return r.weighted([[6, -1], [3, 0], [2, 1], [1, r.range(-2, 5)]]);
      case 'Index':
      case 'Partition':
      case 'PartitionIndex':
      case 'PartitionIndexes':
        return r.weighted([[8, 0], [4, 1], [1, -1], [1, 7]]);
      case 'FetchOffset':
      case 'CommittedOffset':
        return BigInt(r.range(0, 5));
      case 'LogStartOffset':
      case 'RetentionTimeMs':
        return -1n;
      case 'Timestamp':
        return r.pick([-1n, -2n, BigInt(1_700_000_000_000)]);
      case 'GroupId':
      case 'Groups':
      case 'GroupsNames':
        return this.groupId;
      case 'Count':
        // CreatePartitions: the fuzz topics grow to a few partitions at most (and most counts are refused as not growing).
        return r.pick([1, 2, 3, 4]);
      case 'Offset':
        // DeleteRecords: -1 is the high watermark.
        return r.pick([-1n, 0n, 1n, 3n]);
      case 'LeaderEpoch':
      case 'CurrentLeaderEpoch':
        return r.weighted([[6, 0], [2, -1], [1, 1]]);
      case 'EndpointType':
        return r.weighted([[8, 1], [1, 2], [1, 3]]);
      case 'BrokerIds':
        return r.weighted([[8, 0], [1, 1]]);
      case 'Key':
        return r.chance(0.5) ? this.groupId : 'fz-txn';
      case 'KeyType':
        return r.weighted([[9, 0], [1, 1]]);
      case 'SessionTimeoutMs':
      case 'RebalanceTimeoutMs':
        return r.range(200, 1500);
      case 'GenerationId':
        return r.range(-1, 2);
      case 'MemberId':
        return '';
      case 'ProtocolType':
        return 'consumer';
      case 'Metadata':
        return encodeSubscription([r.pick(FUZZ_TOPICS)]);
      case 'Assignment':
        return r.bytes(r.range(0, 12));
      case 'ResourceType':
        return r.pick([2, 4]);
      case 'ResourceName':
        return siblings.resourceType === 4 ? '0' : r.pick(FUZZ_TOPICS);
      case 'ConfigOperation':
        return r.weighted([[8, 0], [2, 1]]);
      case 'ConfigurationKeys':
        return r.pick(Object.keys(CONFIG_VALUES));
      case 'NumPartitions':
        return r.pick([-1, 1, 2]);
      case 'ReplicationFactor':
        return r.pick([-1, 1]);
      // Mostly none (Produce, InitProducerId: an idempotent producer), else one transactional id: the transaction APIs' is not nullable.
      case 'TransactionalId':
      case 'V3AndBelowTransactionalId':
        return f.nullableVersions !== undefined && r.chance(0.8) ? null : 'fz-txn';
      case 'TransactionTimeoutMs':
        return 60_000;
      case 'TimeoutMs':
      case 'timeoutMs':
        return 5_000;
      case 'Records':
        return this.batch();
      case 'ClientSoftwareName':
        return 'mqlab-fuzz';
      case 'ClientSoftwareVersion':
        return '1.0';
      case 'CommittedMetadata':
        return '';
      case 'TopicNames':
        // Mostly topics that do not exist: every deletion makes the next request recreate the topic, and
        // creating and deleting cost the broker an fsync each, which would slow the run to their pace.
        return r.chance(0.1) ? r.pick(FUZZ_TOPICS) : r.pick(['fz-gone', 'fz-never']);
      case 'Name':
      case 'Topic':
        if (parent === 'Configs') return r.pick(Object.keys(CONFIG_VALUES));
        if (parent === 'Protocols') return r.pick(['range', 'roundrobin']);
        return r.pick(FUZZ_TOPICS);
      case 'Value':
        return r.pick(CONFIG_VALUES[siblings.name as string] ?? ['1']);
    }
    switch (f.type) {
      case 'bool':
        return r.chance(0.5);
      case 'int8':
      case 'int16':
      case 'int32':
        return r.range(0, 3);
      case 'int64':
        return BigInt(r.range(0, 3));
      case 'string':
        return `fz-${r.int(100)}`;
      case 'bytes':
        return r.bytes(r.range(0, 8));
      case 'uuid':
        return '00000000-0000-0000-0000-000000000000';
      default:
        throw new Error(`no seed value for ${parent}.${f.name} (${f.type})`);
    }
  }

  private batch(): Buffer {
    const r = this.rng;
    const idempotent = r.chance(0.2);
    const batch = encodeBatch({
      baseTimestamp: BigInt(1_700_000_000_000 + r.int(1000)),
      ...(idempotent ? { producerId: BigInt(r.range(0, 3)), producerEpoch: 0, baseSequence: r.range(0, 5) } : {}),
      records: Array.from({ length: r.range(1, 3) }, (_, i) => ({
        key: r.chance(0.5) ? Buffer.from(`k${i}`) : null,
        value: r.bytes(r.range(0, 40)),
        headers: r.chance(0.2) ? [{ key: 'h', value: Buffer.from('v') }] : [],
        timestamp: BigInt(1_700_000_000_000 + i),
      })),
    });
    this.batches.push(batch);
    return batch;
  }
}

/** A valid request of `api` at `version`, with a correlation id and client id. */
export function seedRequest(rng: Prng, api: KafkaApi, version: number, correlationId: number, groupId: string): Seed {
  const b = new SeedBuilder(rng, version, groupId);
  const body = b.struct(api.request.fields, api.name);
  const clientId = rng.chance(0.1) ? null : 'fuzz';
  const encoded = bytesOf(encodeRequest(api.apiKey, version, correlationId, clientId, body as never));
  return { apiKey: api.apiKey, apiVersion: version, body: encoded, batches: b.batches };
}
