// ListOffsets (api key 2), from Kafka's ListOffsetsRequest.json and
// ListOffsetsResponse.json. v0 answers with a list of offsets, v1 with one
// offset and its timestamp; v2 adds isolation level, v4 leader epochs; v6 is
// the first flexible version; v7 allows the max-timestamp query (KIP-734),
// v8 the earliest-local one (KIP-405), v9 the latest-tiered one (KIP-1005);
// v10 adds a timeout for lookups in remote storage (KIP-1075), v11 allows
// the earliest-pending-upload query (KIP-1023). From v7 on
// only the request's meaning grows: the response's layout stays v6's.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const ListOffsetsRequest = {
  apiKey: 2,
  type: 'request',
  name: 'ListOffsetsRequest',
  validVersions: '0-11',
  flexibleVersions: '6+',
  fields: [
    { name: 'ReplicaId', type: 'int32', versions: '0+' },
    { name: 'IsolationLevel', type: 'int8', versions: '2+' },
    {
      name: 'Topics',
      type: '[]ListOffsetsTopic',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        {
          name: 'Partitions',
          type: '[]ListOffsetsPartition',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'CurrentLeaderEpoch', type: 'int32', versions: '4+', default: -1, ignorable: true },
            { name: 'Timestamp', type: 'int64', versions: '0+' },
            { name: 'MaxNumOffsets', type: 'int32', versions: '0', default: 1 },
          ],
        },
      ],
    },
    { name: 'TimeoutMs', type: 'int32', versions: '10+', ignorable: true },
  ],
} as const satisfies MessageSpec;

export const ListOffsetsResponse = {
  apiKey: 2,
  type: 'response',
  name: 'ListOffsetsResponse',
  validVersions: '0-11',
  flexibleVersions: '6+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    {
      name: 'Topics',
      type: '[]ListOffsetsTopicResponse',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        {
          name: 'Partitions',
          type: '[]ListOffsetsPartitionResponse',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'ErrorCode', type: 'int16', versions: '0+' },
            { name: 'OldStyleOffsets', type: '[]int64', versions: '0', ignorable: false },
            { name: 'Timestamp', type: 'int64', versions: '1+', default: -1, ignorable: false },
            { name: 'Offset', type: 'int64', versions: '1+', default: -1, ignorable: false },
            { name: 'LeaderEpoch', type: 'int32', versions: '4+', default: -1 },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const ListOffsets = {
  name: 'ListOffsets',
  apiKey: 2,
  request: ListOffsetsRequest,
  response: ListOffsetsResponse,
} as const satisfies ApiDefinition;
