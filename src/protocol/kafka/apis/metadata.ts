// Metadata (api key 3), from Kafka's MetadataRequest.json and
// MetadataResponse.json. In v0 an empty topic list means "all topics"; from
// v1 that is a null list, and empty means none. v1 adds racks, the
// controller and internal topics, v2 the cluster id, v3 throttle time, v4
// AllowAutoTopicCreation, v5 offline replicas, v7 leader epochs. v8 adds
// authorized operations (KIP-430), v9 is the first flexible version, v10
// adds topic ids, v11 drops the cluster's authorized operations (KIP-700)
// and v12 lets a request name topics by id alone (null name; KIP-516); v13
// adds a top-level error code (KIP-1102, which a single node never sets). The
// response file read says nothing of
// ThrottleTimeMs being ignorable or of null defaults for Rack and ClusterId;
// current Kafka treats them so (its generated code drops a throttle time
// before v3 and defaults both strings to null), and so do these.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const MetadataRequest = {
  apiKey: 3,
  type: 'request',
  name: 'MetadataRequest',
  validVersions: '0-13',
  flexibleVersions: '9+',
  fields: [
    {
      name: 'Topics',
      type: '[]MetadataRequestTopic',
      versions: '0+',
      nullableVersions: '1+',
      fields: [
        { name: 'TopicId', type: 'uuid', versions: '10+', ignorable: true },
        { name: 'Name', type: 'string', versions: '0+', nullableVersions: '10+' },
      ],
    },
    { name: 'AllowAutoTopicCreation', type: 'bool', versions: '4+', default: true, ignorable: false },
    { name: 'IncludeClusterAuthorizedOperations', type: 'bool', versions: '8-10' },
    { name: 'IncludeTopicAuthorizedOperations', type: 'bool', versions: '8+' },
  ],
} as const satisfies MessageSpec;

export const MetadataResponse = {
  apiKey: 3,
  type: 'response',
  name: 'MetadataResponse',
  validVersions: '0-13',
  flexibleVersions: '9+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    {
      name: 'Brokers',
      type: '[]MetadataResponseBroker',
      versions: '0+',
      fields: [
        { name: 'NodeId', type: 'int32', versions: '0+' },
        { name: 'Host', type: 'string', versions: '0+' },
        { name: 'Port', type: 'int32', versions: '0+' },
        { name: 'Rack', type: 'string', versions: '1+', nullableVersions: '1+', default: null, ignorable: true },
      ],
    },
    { name: 'ClusterId', type: 'string', nullableVersions: '2+', versions: '2+', default: null, ignorable: true },
    { name: 'ControllerId', type: 'int32', versions: '1+', default: -1, ignorable: true },
    {
      name: 'Topics',
      type: '[]MetadataResponseTopic',
      versions: '0+',
      fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'Name', type: 'string', versions: '0+', nullableVersions: '12+' },
        { name: 'TopicId', type: 'uuid', versions: '10+', ignorable: true },
        { name: 'IsInternal', type: 'bool', versions: '1+', default: false, ignorable: true },
        {
          name: 'Partitions',
          type: '[]MetadataResponsePartition',
          versions: '0+',
          fields: [
            { name: 'ErrorCode', type: 'int16', versions: '0+' },
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'LeaderId', type: 'int32', versions: '0+' },
            { name: 'LeaderEpoch', type: 'int32', versions: '7+', default: -1, ignorable: true },
            { name: 'ReplicaNodes', type: '[]int32', versions: '0+' },
            { name: 'IsrNodes', type: '[]int32', versions: '0+' },
            { name: 'OfflineReplicas', type: '[]int32', versions: '5+', ignorable: true },
          ],
        },
        { name: 'TopicAuthorizedOperations', type: 'int32', versions: '8+', default: -2147483648 },
      ],
    },
    { name: 'ClusterAuthorizedOperations', type: 'int32', versions: '8-10', default: -2147483648 },
    { name: 'ErrorCode', type: 'int16', versions: '13+', ignorable: true },
  ],
} as const satisfies MessageSpec;

export const Metadata = {
  name: 'Metadata',
  apiKey: 3,
  request: MetadataRequest,
  response: MetadataResponse,
} as const satisfies ApiDefinition;
