// EndTxn (api key 26), from Kafka's EndTxnRequest.json and
// EndTxnResponse.json: commit or abort. v4 lets the broker answer
// TRANSACTION_ABORTABLE (KIP-890); v5 (KIP-890 part 2) ends the transaction
// with the epoch bumped and answers the producer id and epoch to go on with.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const EndTxnRequest = {
  apiKey: 26,
  type: 'request',
  name: 'EndTxnRequest',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'TransactionalId', type: 'string', versions: '0+' },
    { name: 'ProducerId', type: 'int64', versions: '0+' },
    { name: 'ProducerEpoch', type: 'int16', versions: '0+' },
    { name: 'Committed', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const EndTxnResponse = {
  apiKey: 26,
  type: 'response',
  name: 'EndTxnResponse',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'ProducerId', type: 'int64', versions: '5+', default: -1, ignorable: true },
    { name: 'ProducerEpoch', type: 'int16', versions: '5+', default: -1, ignorable: true },
  ],
} as const satisfies MessageSpec;

export const EndTxn = {
  name: 'EndTxn',
  apiKey: 26,
  request: EndTxnRequest,
  response: EndTxnResponse,
} as const satisfies ApiDefinition;
