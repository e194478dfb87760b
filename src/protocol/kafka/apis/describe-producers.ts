// DescribeProducers (api key 61), from Kafka's DescribeProducersRequest.json
// and DescribeProducersResponse.json (KIP-664): the idempotent (and
// transactional) producers a partition's leader knows. One version,
// flexible.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DescribeProducersRequest = {
  apiKey: 61,
  type: 'request',
  name: 'DescribeProducersRequest',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    {
      name: 'Topics',
      type: '[]TopicRequest',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'PartitionIndexes', type: '[]int32', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeProducersResponse = {
  apiKey: 61,
  type: 'response',
  name: 'DescribeProducersResponse',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'Topics',
      type: '[]TopicResponse',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        {
          name: 'Partitions',
          type: '[]PartitionResponse',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'ErrorCode', type: 'int16', versions: '0+' },
            { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            {
              name: 'ActiveProducers',
              type: '[]ProducerState',
              versions: '0+',
              fields: [
                { name: 'ProducerId', type: 'int64', versions: '0+' },
                // int32 here, though epochs are int16 elsewhere: Kafka's JSON says so.
                { name: 'ProducerEpoch', type: 'int32', versions: '0+' },
                { name: 'LastSequence', type: 'int32', versions: '0+', default: -1 },
                { name: 'LastTimestamp', type: 'int64', versions: '0+', default: -1 },
                // Transactions only: -1 for idempotent producers.
                { name: 'CoordinatorEpoch', type: 'int32', versions: '0+' },
                { name: 'CurrentTxnStartOffset', type: 'int64', versions: '0+', default: -1 },
              ],
            },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeProducers = {
  name: 'DescribeProducers',
  apiKey: 61,
  request: DescribeProducersRequest,
  response: DescribeProducersResponse,
} as const satisfies ApiDefinition;
