// CreateTopics (api key 19), from Kafka's CreateTopicsRequest.json and
// CreateTopicsResponse.json. v1 adds validateOnly and per-topic error
// messages, v2 throttle time. v4 lets -1 partitions / replication factor ask
// for the broker's defaults (KIP-464); v5 is the first flexible version and
// answers with the created topic's partitions, replication factor and
// configs (KIP-525); v6 may answer THROTTLING_QUOTA_EXCEEDED (KIP-599); v7
// answers with the topic's id (KIP-516).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const CreateTopicsRequest = {
  apiKey: 19,
  type: 'request',
  name: 'CreateTopicsRequest',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    {
      name: 'Topics',
      type: '[]CreatableTopic',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        // -1 when the assignments below place the partitions by hand.
        { name: 'NumPartitions', type: 'int32', versions: '0+' },
        { name: 'ReplicationFactor', type: 'int16', versions: '0+' },
        {
          name: 'Assignments',
          type: '[]CreatableReplicaAssignment',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'BrokerIds', type: '[]int32', versions: '0+' },
          ],
        },
        {
          name: 'Configs',
          type: '[]CreateableTopicConfig',
          versions: '0+',
          fields: [
            { name: 'Name', type: 'string', versions: '0+' },
            { name: 'Value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    // Kafka spells these two in camelCase in the JSON already.
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    { name: 'validateOnly', type: 'bool', versions: '1+', default: false, ignorable: false },
  ],
} as const satisfies MessageSpec;

export const CreateTopicsResponse = {
  apiKey: 19,
  type: 'response',
  name: 'CreateTopicsResponse',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    {
      name: 'Topics',
      type: '[]CreatableTopicResult',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'TopicId', type: 'uuid', versions: '7+', ignorable: true },
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '1+', nullableVersions: '0+', ignorable: true },
        // Set when the configs could not be described (Kafka: not authorized to); never here.
        { name: 'TopicConfigErrorCode', type: 'int16', versions: '5+', tag: 0, taggedVersions: '5+', ignorable: true },
        { name: 'NumPartitions', type: 'int32', versions: '5+', default: -1, ignorable: true },
        { name: 'ReplicationFactor', type: 'int16', versions: '5+', default: -1, ignorable: true },
        {
          name: 'Configs',
          type: '[]CreatableTopicConfigs',
          versions: '5+',
          nullableVersions: '5+',
          ignorable: true,
          fields: [
            { name: 'Name', type: 'string', versions: '5+' },
            { name: 'Value', type: 'string', versions: '5+', nullableVersions: '5+' },
            { name: 'ReadOnly', type: 'bool', versions: '5+' },
            { name: 'ConfigSource', type: 'int8', versions: '5+', default: -1, ignorable: true },
            { name: 'IsSensitive', type: 'bool', versions: '5+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const CreateTopics = {
  name: 'CreateTopics',
  apiKey: 19,
  request: CreateTopicsRequest,
  response: CreateTopicsResponse,
} as const satisfies ApiDefinition;
