// OffsetFetch (api key 9), from Kafka's OffsetFetchRequest.json and
// OffsetFetchResponse.json. v0 read offsets from ZooKeeper (same wire as v1);
// v2 allows a null topic list ("all topics") and adds a top-level error
// code, v3 throttle time, v5 leader epochs; v6 is the first flexible
// version, v7 adds RequireStable; v8 batches several groups in one request;
// v9 adds a member id and epoch per group, which only KIP-848 groups check;
// v10 names the groups' topics by id instead of by name.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const OffsetFetchRequest = {
  apiKey: 9,
  type: 'request',
  name: 'OffsetFetchRequest',
  validVersions: '0-10',
  flexibleVersions: '6+',
  fields: [
    { name: 'GroupId', type: 'string', versions: '0-7' },
    {
      name: 'Topics',
      type: '[]OffsetFetchRequestTopic',
      versions: '0-7',
      nullableVersions: '2-7',
      fields: [
        { name: 'Name', type: 'string', versions: '0-7' },
        { name: 'PartitionIndexes', type: '[]int32', versions: '0-7' },
      ],
    },
    {
      name: 'Groups',
      type: '[]OffsetFetchRequestGroup',
      versions: '8+',
      fields: [
        { name: 'GroupId', type: 'string', versions: '8+' },
        { name: 'MemberId', type: 'string', versions: '9+', nullableVersions: '9+', default: null, ignorable: true },
        { name: 'MemberEpoch', type: 'int32', versions: '9+', default: -1, ignorable: true },
        {
          name: 'Topics',
          type: '[]OffsetFetchRequestTopics',
          versions: '8+',
          nullableVersions: '8+',
          fields: [
            { name: 'Name', type: 'string', versions: '8-9', ignorable: true },
            { name: 'TopicId', type: 'uuid', versions: '10+', ignorable: true },
            { name: 'PartitionIndexes', type: '[]int32', versions: '8+' },
          ],
        },
      ],
    },
    { name: 'RequireStable', type: 'bool', versions: '7+', default: false },
  ],
} as const satisfies MessageSpec;

export const OffsetFetchResponse = {
  apiKey: 9,
  type: 'response',
  name: 'OffsetFetchResponse',
  validVersions: '0-10',
  flexibleVersions: '6+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    {
      name: 'Topics',
      type: '[]OffsetFetchResponseTopic',
      versions: '0-7',
      fields: [
        { name: 'Name', type: 'string', versions: '0-7' },
        {
          name: 'Partitions',
          type: '[]OffsetFetchResponsePartition',
          versions: '0-7',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0-7' },
            { name: 'CommittedOffset', type: 'int64', versions: '0-7' },
            { name: 'CommittedLeaderEpoch', type: 'int32', versions: '5-7', default: -1, ignorable: true },
            { name: 'Metadata', type: 'string', versions: '0-7', nullableVersions: '0-7' },
            { name: 'ErrorCode', type: 'int16', versions: '0-7' },
          ],
        },
      ],
    },
    { name: 'ErrorCode', type: 'int16', versions: '2-7', default: 0, ignorable: true },
    {
      name: 'Groups',
      type: '[]OffsetFetchResponseGroup',
      versions: '8+',
      fields: [
        { name: 'GroupId', type: 'string', versions: '8+' },
        {
          name: 'Topics',
          type: '[]OffsetFetchResponseTopics',
          versions: '8+',
          fields: [
            { name: 'Name', type: 'string', versions: '8-9', ignorable: true },
            { name: 'TopicId', type: 'uuid', versions: '10+', ignorable: true },
            {
              name: 'Partitions',
              type: '[]OffsetFetchResponsePartitions',
              versions: '8+',
              fields: [
                { name: 'PartitionIndex', type: 'int32', versions: '8+' },
                { name: 'CommittedOffset', type: 'int64', versions: '8+' },
                { name: 'CommittedLeaderEpoch', type: 'int32', versions: '8+', default: -1, ignorable: true },
                { name: 'Metadata', type: 'string', versions: '8+', nullableVersions: '8+' },
                { name: 'ErrorCode', type: 'int16', versions: '8+' },
              ],
            },
          ],
        },
        { name: 'ErrorCode', type: 'int16', versions: '8+', default: 0 },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetFetch = {
  name: 'OffsetFetch',
  apiKey: 9,
  request: OffsetFetchRequest,
  response: OffsetFetchResponse,
} as const satisfies ApiDefinition;
