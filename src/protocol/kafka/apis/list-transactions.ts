// ListTransactions (api key 66), from Kafka's ListTransactionsRequest.json
// and ListTransactionsResponse.json (KIP-664): the coordinator's
// transactional ids, filtered by state, producer id, (v1, KIP-994) age and
// (v2, KIP-1152) a regular expression over the id.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const ListTransactionsRequest = {
  apiKey: 66,
  type: 'request',
  name: 'ListTransactionsRequest',
  validVersions: '0-2',
  flexibleVersions: '0+',
  fields: [
    { name: 'StateFilters', type: '[]string', versions: '0+' },
    { name: 'ProducerIdFilters', type: '[]int64', versions: '0+' },
    { name: 'DurationFilter', type: 'int64', versions: '1+', default: -1 },
    { name: 'TransactionalIdPattern', type: 'string', versions: '2+', nullableVersions: '2+', default: null },
  ],
} as const satisfies MessageSpec;

export const ListTransactionsResponse = {
  apiKey: 66,
  type: 'response',
  name: 'ListTransactionsResponse',
  validVersions: '0-2',
  flexibleVersions: '0+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'UnknownStateFilters', type: '[]string', versions: '0+' },
    {
      name: 'TransactionStates',
      type: '[]TransactionState',
      versions: '0+',
      fields: [
        { name: 'TransactionalId', type: 'string', versions: '0+' },
        { name: 'ProducerId', type: 'int64', versions: '0+' },
        { name: 'TransactionState', type: 'string', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const ListTransactions = {
  name: 'ListTransactions',
  apiKey: 66,
  request: ListTransactionsRequest,
  response: ListTransactionsResponse,
} as const satisfies ApiDefinition;
