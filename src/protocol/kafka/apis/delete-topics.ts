// DeleteTopics (api key 20), from Kafka's DeleteTopicsRequest.json and
// DeleteTopicsResponse.json. v1 adds throttle time, v3 may answer
// TOPIC_DELETION_DISABLED; v4 is the first flexible version; v5 adds error
// messages (KIP-599); v6 names topics by name or by id (KIP-516).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DeleteTopicsRequest = {
  apiKey: 20,
  type: 'request',
  name: 'DeleteTopicsRequest',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    {
      name: 'Topics',
      type: '[]DeleteTopicState',
      versions: '6+',
      fields: [
        { name: 'Name', type: 'string', versions: '6+', nullableVersions: '6+', default: null },
        { name: 'TopicId', type: 'uuid', versions: '6+' },
      ],
    },
    { name: 'TopicNames', type: '[]string', versions: '0-5', ignorable: true },
    { name: 'TimeoutMs', type: 'int32', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const DeleteTopicsResponse = {
  apiKey: 20,
  type: 'response',
  name: 'DeleteTopicsResponse',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    {
      name: 'Responses',
      type: '[]DeletableTopicResult',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+', nullableVersions: '6+' },
        { name: 'TopicId', type: 'uuid', versions: '6+', ignorable: true },
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '5+', nullableVersions: '5+', ignorable: true, default: null },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DeleteTopics = {
  name: 'DeleteTopics',
  apiKey: 20,
  request: DeleteTopicsRequest,
  response: DeleteTopicsResponse,
} as const satisfies ApiDefinition;
