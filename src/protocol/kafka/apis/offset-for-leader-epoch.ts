// OffsetForLeaderEpoch (api key 23), from Kafka's
// OffsetForLeaderEpochRequest.json and OffsetForLeaderEpochResponse.json
// (KIP-101, KIP-279, KIP-320): the end offset of a leader epoch, which a
// consumer asks after a leader change to check its position was not
// truncated away. v1 answers the epoch, v2 adds throttle time and the
// fencing CurrentLeaderEpoch, v3 the replica id, v4 is the first flexible.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const OffsetForLeaderEpochRequest = {
  apiKey: 23,
  type: 'request',
  name: 'OffsetForLeaderEpochRequest',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    // -1 from a consumer; -2 (the default) when a version lacks it.
    { name: 'ReplicaId', type: 'int32', versions: '3+', default: -2, ignorable: true },
    {
      name: 'Topics',
      type: '[]OffsetForLeaderTopic',
      versions: '0+',
      fields: [
        { name: 'Topic', type: 'string', versions: '0+' },
        {
          name: 'Partitions',
          type: '[]OffsetForLeaderPartition',
          versions: '0+',
          fields: [
            { name: 'Partition', type: 'int32', versions: '0+' },
            { name: 'CurrentLeaderEpoch', type: 'int32', versions: '2+', default: -1, ignorable: true },
            { name: 'LeaderEpoch', type: 'int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetForLeaderEpochResponse = {
  apiKey: 23,
  type: 'response',
  name: 'OffsetForLeaderEpochResponse',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    {
      name: 'Topics',
      type: '[]OffsetForLeaderTopicResult',
      versions: '0+',
      fields: [
        { name: 'Topic', type: 'string', versions: '0+' },
        {
          name: 'Partitions',
          type: '[]EpochEndOffset',
          versions: '0+',
          fields: [
            { name: 'ErrorCode', type: 'int16', versions: '0+' },
            { name: 'Partition', type: 'int32', versions: '0+' },
            { name: 'LeaderEpoch', type: 'int32', versions: '1+', default: -1, ignorable: true },
            { name: 'EndOffset', type: 'int64', versions: '0+', default: -1 },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetForLeaderEpoch = {
  name: 'OffsetForLeaderEpoch',
  apiKey: 23,
  request: OffsetForLeaderEpochRequest,
  response: OffsetForLeaderEpochResponse,
} as const satisfies ApiDefinition;
