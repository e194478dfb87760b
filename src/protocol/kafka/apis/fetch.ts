// Fetch (api key 1), from Kafka's FetchRequest.json and FetchResponse.json.
// v3 adds the response size limit (KIP-74), v4 isolation level and aborted
// transactions, v5 log start offsets, v7 fetch sessions (KIP-227), v9 leader
// epochs (KIP-320), v11 rack-aware fetching (KIP-392); v12 is the first
// flexible version, with the divergence and leader hints as tagged fields;
// v13 names topics by id (KIP-516), v15 moves the follower's id into the
// tagged ReplicaState (KIP-903), v16 adds the tagged NodeEndpoints (KIP-951)
// v17 the follower's directory id (KIP-853) and v18 the follower's high
// watermark (KIP-1166). v14 only allows a new error.
// The response uses the field names of Kafka's current FetchResponse.json
// (Partitions, PartitionIndex, Records), which later Kafka versions adopted
// for the same wire layout. Its v12 SnapshotId tagged field (tag 2, for
// KRaft followers) is not declared: readers skip tags they do not know.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const FetchRequest = {
  apiKey: 1,
  type: 'request',
  name: 'FetchRequest',
  validVersions: '0-18',
  flexibleVersions: '12+',
  fields: [
    { name: 'ClusterId', type: 'string', versions: '12+', nullableVersions: '12+', default: null, taggedVersions: '12+', tag: 0, ignorable: true },
    { name: 'ReplicaId', type: 'int32', versions: '0-14', default: -1 },
    {
      name: 'ReplicaState',
      type: 'ReplicaState',
      versions: '15+',
      taggedVersions: '15+',
      tag: 1,
      fields: [
        { name: 'ReplicaId', type: 'int32', versions: '15+', default: -1 },
        { name: 'ReplicaEpoch', type: 'int64', versions: '15+', default: -1 },
      ],
    },
    { name: 'MaxWaitMs', type: 'int32', versions: '0+' },
    { name: 'MinBytes', type: 'int32', versions: '0+' },
    { name: 'MaxBytes', type: 'int32', versions: '3+', default: 0x7fffffff, ignorable: true },
    { name: 'IsolationLevel', type: 'int8', versions: '4+', default: 0, ignorable: true },
    { name: 'SessionId', type: 'int32', versions: '7+', default: 0, ignorable: true },
    { name: 'SessionEpoch', type: 'int32', versions: '7+', default: -1, ignorable: true },
    {
      name: 'Topics',
      type: '[]FetchTopic',
      versions: '0+',
      fields: [
        { name: 'Topic', type: 'string', versions: '0-12', ignorable: true },
        { name: 'TopicId', type: 'uuid', versions: '13+', ignorable: true },
        {
          name: 'Partitions',
          type: '[]FetchPartition',
          versions: '0+',
          fields: [
            { name: 'Partition', type: 'int32', versions: '0+' },
            { name: 'CurrentLeaderEpoch', type: 'int32', versions: '9+', default: -1, ignorable: true },
            { name: 'FetchOffset', type: 'int64', versions: '0+' },
            { name: 'LastFetchedEpoch', type: 'int32', versions: '12+', default: -1, ignorable: false },
            { name: 'LogStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
            { name: 'PartitionMaxBytes', type: 'int32', versions: '0+' },
            { name: 'ReplicaDirectoryId', type: 'uuid', versions: '17+', taggedVersions: '17+', tag: 0, ignorable: true },
            // A follower's (KIP-1166); consumers leave it at its default.
            { name: 'HighWatermark', type: 'int64', versions: '18+', default: '9223372036854775807', taggedVersions: '18+', tag: 1, ignorable: true },
          ],
        },
      ],
    },
    {
      name: 'ForgottenTopicsData',
      type: '[]ForgottenTopic',
      versions: '7+',
      ignorable: false,
      fields: [
        { name: 'Topic', type: 'string', versions: '7-12', ignorable: true },
        { name: 'TopicId', type: 'uuid', versions: '13+', ignorable: true },
        { name: 'Partitions', type: '[]int32', versions: '7+' },
      ],
    },
    { name: 'RackId', type: 'string', versions: '11+', default: '', ignorable: true },
  ],
} as const satisfies MessageSpec;

export const FetchResponse = {
  apiKey: 1,
  type: 'response',
  name: 'FetchResponse',
  validVersions: '0-18',
  flexibleVersions: '12+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'ErrorCode', type: 'int16', versions: '7+', ignorable: true },
    { name: 'SessionId', type: 'int32', versions: '7+', default: 0, ignorable: false },
    {
      name: 'Responses',
      type: '[]FetchableTopicResponse',
      versions: '0+',
      fields: [
        { name: 'Topic', type: 'string', versions: '0-12', ignorable: true },
        { name: 'TopicId', type: 'uuid', versions: '13+', ignorable: true },
        {
          name: 'Partitions',
          type: '[]PartitionData',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'ErrorCode', type: 'int16', versions: '0+' },
            { name: 'HighWatermark', type: 'int64', versions: '0+' },
            { name: 'LastStableOffset', type: 'int64', versions: '4+', default: -1, ignorable: true },
            { name: 'LogStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
            {
              name: 'DivergingEpoch',
              type: 'EpochEndOffset',
              versions: '12+',
              taggedVersions: '12+',
              tag: 0,
              fields: [
                { name: 'Epoch', type: 'int32', versions: '12+', default: -1 },
                { name: 'EndOffset', type: 'int64', versions: '12+', default: -1 },
              ],
            },
            {
              name: 'CurrentLeader',
              type: 'LeaderIdAndEpoch',
              versions: '12+',
              taggedVersions: '12+',
              tag: 1,
              fields: [
                { name: 'LeaderId', type: 'int32', versions: '12+', default: -1 },
                { name: 'LeaderEpoch', type: 'int32', versions: '12+', default: -1 },
              ],
            },
            {
              name: 'AbortedTransactions',
              type: '[]AbortedTransaction',
              versions: '4+',
              nullableVersions: '4+',
              ignorable: true,
              fields: [
                { name: 'ProducerId', type: 'int64', versions: '4+' },
                { name: 'FirstOffset', type: 'int64', versions: '4+' },
              ],
            },
            { name: 'PreferredReadReplica', type: 'int32', versions: '11+', default: -1, ignorable: false },
            { name: 'Records', type: 'records', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    {
      name: 'NodeEndpoints',
      type: '[]NodeEndpoint',
      versions: '16+',
      taggedVersions: '16+',
      tag: 0,
      fields: [
        { name: 'NodeId', type: 'int32', versions: '16+' },
        { name: 'Host', type: 'string', versions: '16+' },
        { name: 'Port', type: 'int32', versions: '16+' },
        { name: 'Rack', type: 'string', versions: '16+', nullableVersions: '16+', default: null },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const Fetch = {
  name: 'Fetch',
  apiKey: 1,
  request: FetchRequest,
  response: FetchResponse,
} as const satisfies ApiDefinition;
