// The APIs the broker serves, by api key, with the version range it
// advertises in ApiVersions. A declaration may cover more versions than are
// advertised (it is transcribed from Kafka's definitions as far as they were
// read); a version is advertised once the broker handles it.
import { isValidVersion } from '../codec.js';
import type { ApiDefinition, Decoded, Input } from '../schema.js';
import { AddOffsetsToTxn } from './add-offsets-to-txn.js';
import { AddPartitionsToTxn } from './add-partitions-to-txn.js';
import { AlterConfigs } from './alter-configs.js';
import { AlterUserScramCredentials } from './alter-user-scram-credentials.js';
import { ApiVersions } from './api-versions.js';
import { ConsumerGroupDescribe } from './consumer-group-describe.js';
import { ConsumerGroupHeartbeat } from './consumer-group-heartbeat.js';
import { CreateAcls } from './create-acls.js';
import { CreatePartitions } from './create-partitions.js';
import { CreateTopics } from './create-topics.js';
import { DeleteAcls } from './delete-acls.js';
import { DeleteGroups } from './delete-groups.js';
import { DeleteRecords } from './delete-records.js';
import { DeleteTopics } from './delete-topics.js';
import { DescribeAcls } from './describe-acls.js';
import { DescribeCluster } from './describe-cluster.js';
import { DescribeConfigs } from './describe-configs.js';
import { DescribeGroups } from './describe-groups.js';
import { DescribeLogDirs } from './describe-log-dirs.js';
import { DescribeProducers } from './describe-producers.js';
import { DescribeTransactions } from './describe-transactions.js';
import { DescribeUserScramCredentials } from './describe-user-scram-credentials.js';
import { EndTxn } from './end-txn.js';
import { Fetch } from './fetch.js';
import { FindCoordinator } from './find-coordinator.js';
import { Heartbeat } from './heartbeat.js';
import { IncrementalAlterConfigs } from './incremental-alter-configs.js';
import { InitProducerId } from './init-producer-id.js';
import { JoinGroup } from './join-group.js';
import { LeaveGroup } from './leave-group.js';
import { ListGroups } from './list-groups.js';
import { ListOffsets } from './list-offsets.js';
import { ListTransactions } from './list-transactions.js';
import { Metadata } from './metadata.js';
import { OffsetCommit } from './offset-commit.js';
import { OffsetDelete } from './offset-delete.js';
import { OffsetFetch } from './offset-fetch.js';
import { OffsetForLeaderEpoch } from './offset-for-leader-epoch.js';
import { Produce } from './produce.js';
import { SaslAuthenticate } from './sasl-authenticate.js';
import { SaslHandshake } from './sasl-handshake.js';
import { SyncGroup } from './sync-group.js';
import { TxnOffsetCommit } from './txn-offset-commit.js';

/** The versions of an API that are advertised and accepted. */
export interface ServedRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface ServedApi extends ApiDefinition, ServedRange {}

/**
 * An API served over `minVersion`..`maxVersion`. Throws at load time when
 * the declarations do not cover the range, so a table edit cannot advertise
 * a version the codec cannot read.
 */
export function serve<A extends ApiDefinition>(api: A, minVersion: number, maxVersion: number): A & ServedRange {
  for (let v = minVersion; v <= maxVersion; v++) {
    for (const m of [api.request, api.response]) {
      if (!isValidVersion(m, v)) throw new Error(`${api.name} v${v} is advertised but ${m.name} declares ${m.validVersions}`);
    }
  }
  return { ...api, minVersion, maxVersion };
}

export const KAFKA_APIS = [
  serve(Produce, 0, 13),
  serve(Fetch, 0, 18),
  serve(ListOffsets, 0, 11),
  serve(Metadata, 0, 13),
  serve(OffsetCommit, 0, 10),
  serve(OffsetFetch, 0, 10),
  serve(FindCoordinator, 0, 6),
  serve(JoinGroup, 0, 9),
  serve(Heartbeat, 0, 4),
  serve(LeaveGroup, 0, 5),
  serve(SyncGroup, 0, 5),
  serve(DescribeGroups, 0, 6),
  serve(ListGroups, 0, 5),
  serve(ApiVersions, 0, 4),
  serve(CreateTopics, 0, 7),
  serve(DeleteTopics, 0, 6),
  serve(InitProducerId, 0, 5),
  serve(DescribeConfigs, 0, 4),
  serve(AlterConfigs, 0, 2),
  serve(IncrementalAlterConfigs, 0, 1),
  serve(DescribeCluster, 0, 2),
  serve(CreatePartitions, 0, 3),
  serve(DeleteGroups, 0, 2),
  serve(OffsetDelete, 0, 0),
  serve(DeleteRecords, 0, 2),
  serve(OffsetForLeaderEpoch, 0, 4),
  serve(DescribeLogDirs, 0, 5),
  serve(DescribeProducers, 0, 0),
  serve(AddPartitionsToTxn, 0, 5),
  serve(AddOffsetsToTxn, 0, 4),
  serve(EndTxn, 0, 5),
  serve(TxnOffsetCommit, 0, 5),
  serve(DescribeAcls, 0, 3),
  serve(CreateAcls, 0, 3),
  serve(DeleteAcls, 0, 3),
  serve(DescribeTransactions, 0, 0),
  serve(ListTransactions, 0, 2),
  serve(ConsumerGroupHeartbeat, 0, 1),
  serve(ConsumerGroupDescribe, 0, 1),
  serve(SaslHandshake, 0, 1),
  serve(SaslAuthenticate, 0, 2),
  serve(DescribeUserScramCredentials, 0, 0),
  serve(AlterUserScramCredentials, 0, 0),
] as const;

export type KafkaApi = (typeof KAFKA_APIS)[number];
export type ApiKey = KafkaApi['apiKey'];
export type ApiName = KafkaApi['name'];
type ApiOf<K extends ApiKey> = Extract<KafkaApi, { apiKey: K }>;

/** A request body as decoded, for api key K. */
export type RequestBody<K extends ApiKey> = Decoded<ApiOf<K>['request']>;
/** A request body to encode (fields left out take their defaults). */
export type RequestInput<K extends ApiKey> = Input<ApiOf<K>['request']>;
/** A response body as decoded. */
export type ResponseBody<K extends ApiKey> = Decoded<ApiOf<K>['response']>;
/** A response body to encode (fields left out take their defaults). */
export type ResponseInput<K extends ApiKey> = Input<ApiOf<K>['response']>;

/** Api keys by name, for readable switches: `case ApiKeys.Produce:`. */
export const ApiKeys = Object.fromEntries(KAFKA_APIS.map((a) => [a.name, a.apiKey])) as {
  readonly [A in KafkaApi as A['name']]: A['apiKey'];
};

/** Which APIs a codec entry point accepts, by api key. */
export type ApiRegistry = ReadonlyMap<number, ServedApi>;

export function registryOf(apis: readonly ServedApi[]): ApiRegistry {
  const map = new Map<number, ServedApi>();
  for (const a of apis) {
    if (map.has(a.apiKey)) throw new Error(`api key ${a.apiKey} registered twice`);
    map.set(a.apiKey, a);
  }
  return map;
}

export const KAFKA_REGISTRY: ApiRegistry = registryOf(KAFKA_APIS);

/** The ApiVersions response's list: every served API and its range, by api key. */
export function advertisedVersions(registry: ApiRegistry = KAFKA_REGISTRY): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return [...registry.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion }));
}

export {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  AlterConfigs,
  ApiVersions,
  ConsumerGroupDescribe,
  ConsumerGroupHeartbeat,
  CreateAcls,
  CreatePartitions,
  CreateTopics,
  DeleteAcls,
  DeleteGroups,
  DeleteRecords,
  DeleteTopics,
  DescribeAcls,
  DescribeCluster,
  DescribeConfigs,
  DescribeGroups,
  DescribeLogDirs,
  DescribeProducers,
  DescribeTransactions,
  EndTxn,
  Fetch,
  FindCoordinator,
  Heartbeat,
  IncrementalAlterConfigs,
  InitProducerId,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  ListOffsets,
  ListTransactions,
  Metadata,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
  OffsetForLeaderEpoch,
  Produce,
  SyncGroup,
  TxnOffsetCommit,
};
