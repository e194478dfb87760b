// DescribeTransactions (api key 65), from Kafka's
// DescribeTransactionsRequest.json and DescribeTransactionsResponse.json
// (KIP-664): each transactional id's state, producer and partitions.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DescribeTransactionsRequest = {
  apiKey: 65,
  type: 'request',
  name: 'DescribeTransactionsRequest',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'TransactionalIds', type: '[]string', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const DescribeTransactionsResponse = {
  apiKey: 65,
  type: 'response',
  name: 'DescribeTransactionsResponse',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'TransactionStates',
      type: '[]TransactionState',
      versions: '0+',
      fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'TransactionalId', type: 'string', versions: '0+' },
        { name: 'TransactionState', type: 'string', versions: '0+' },
        { name: 'TransactionTimeoutMs', type: 'int32', versions: '0+' },
        { name: 'TransactionStartTimeMs', type: 'int64', versions: '0+' },
        { name: 'ProducerId', type: 'int64', versions: '0+' },
        { name: 'ProducerEpoch', type: 'int16', versions: '0+' },
        {
          name: 'Topics',
          type: '[]TopicData',
          versions: '0+',
          fields: [
            { name: 'Topic', type: 'string', versions: '0+' },
            { name: 'Partitions', type: '[]int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeTransactions = {
  name: 'DescribeTransactions',
  apiKey: 65,
  request: DescribeTransactionsRequest,
  response: DescribeTransactionsResponse,
} as const satisfies ApiDefinition;
