// Metadata (api key 3), from Kafka's MetadataRequest.json and
// MetadataResponse.json. In v0 an empty topic list means "all topics"; from
// v1 that is a null list, and empty means none. v1 adds racks, the
// controller and internal topics, v2 the cluster id, v3 throttle time, v4
// AllowAutoTopicCreation, v5 offline replicas, v7 leader epochs. v8 adds
// authorized operations and v9 is the first flexible version; these
// declarations stop at v7. The response file read says nothing of
// ThrottleTimeMs being ignorable or of null defaults for Rack and ClusterId;
// current Kafka treats them so (its generated code drops a throttle time
// before v3 and defaults both strings to null), and so do these.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const MetadataRequest = {
  apiKey: 3,
  type: 'request',
  name: 'MetadataRequest',
  validVersions: '0-7',
  flexibleVersions: '9+',
  fields: [
    {
      name: 'Topics',
      type: '[]MetadataRequestTopic',
      versions: '0+',
      nullableVersions: '1+',
      fields: [{ name: 'Name', type: 'string', versions: '0+' }],
    },
    { name: 'AllowAutoTopicCreation', type: 'bool', versions: '4+', default: true, ignorable: false },
  ],
} as const satisfies MessageSpec;

export const MetadataResponse = {
  apiKey: 3,
  type: 'response',
  name: 'MetadataResponse',
  validVersions: '0-7',
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
        { name: 'Name', type: 'string', versions: '0+' },
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
      ],
    },
  ],
} as const satisfies MessageSpec;

export const Metadata = {
  name: 'Metadata',
  apiKey: 3,
  request: MetadataRequest,
  response: MetadataResponse,
} as const satisfies ApiDefinition;
