// OffsetCommit (api key 8), from Kafka's OffsetCommitRequest.json and
// OffsetCommitResponse.json. v1 adds group membership and a per-partition
// commit timestamp, v2 replaces that timestamp with a retention time, which
// v5 drops again; v6 adds leader epochs, v7 static membership; v8 is the
// first flexible version; v9, the same request, is the first a KIP-848
// consumer may send; v10 names topics by id (KIP-848).
//
// Kafka renamed GenerationId to GenerationIdOrMemberEpoch for KIP-848. The
// older name is kept (callers use its key, generationId); the coordinator
// reads it as a generation for a classic group and as the member epoch for
// a consumer group. The wire is the same.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const OffsetCommitRequest = {
  apiKey: 8,
  type: 'request',
  name: 'OffsetCommitRequest',
  validVersions: '0-10',
  flexibleVersions: '8+',
  fields: [
    { name: 'GroupId', type: 'string', versions: '0+' },
    { name: 'GenerationId', type: 'int32', versions: '1+', default: -1, ignorable: true },
    { name: 'MemberId', type: 'string', versions: '1+', ignorable: true },
    { name: 'GroupInstanceId', type: 'string', versions: '7+', nullableVersions: '7+', default: null },
    { name: 'RetentionTimeMs', type: 'int64', versions: '2-4', default: -1, ignorable: true },
    {
      name: 'Topics',
      type: '[]OffsetCommitRequestTopic',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0-9', ignorable: true },
        { name: 'TopicId', type: 'uuid', versions: '10+', ignorable: true },
        {
          name: 'Partitions',
          type: '[]OffsetCommitRequestPartition',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'CommittedOffset', type: 'int64', versions: '0+' },
            { name: 'CommittedLeaderEpoch', type: 'int32', versions: '6+', default: -1, ignorable: true },
            { name: 'CommitTimestamp', type: 'int64', versions: '1', default: -1 },
            { name: 'CommittedMetadata', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetCommitResponse = {
  apiKey: 8,
  type: 'response',
  name: 'OffsetCommitResponse',
  validVersions: '0-10',
  flexibleVersions: '8+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    {
      name: 'Topics',
      type: '[]OffsetCommitResponseTopic',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0-9', ignorable: true },
        { name: 'TopicId', type: 'uuid', versions: '10+', ignorable: true },
        {
          name: 'Partitions',
          type: '[]OffsetCommitResponsePartition',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'ErrorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetCommit = {
  name: 'OffsetCommit',
  apiKey: 8,
  request: OffsetCommitRequest,
  response: OffsetCommitResponse,
} as const satisfies ApiDefinition;
