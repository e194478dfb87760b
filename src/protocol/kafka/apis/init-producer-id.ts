// InitProducerId (api key 22), from Kafka's InitProducerIdRequest.json and
// InitProducerIdResponse.json. Idempotent producers call it with a null
// transactional id. v1 only changes throttling behaviour; v2 is the first
// flexible version; v3 sends the producer's current id and epoch, so a
// transactional producer can resume after an error (KIP-360); v4 may answer
// PRODUCER_FENCED and v5 TRANSACTION_ABORTABLE (KIP-890), both of
// transactions only.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const InitProducerIdRequest = {
  apiKey: 22,
  type: 'request',
  name: 'InitProducerIdRequest',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    { name: 'TransactionalId', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'TransactionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'ProducerId', type: 'int64', versions: '3+', default: -1 },
    { name: 'ProducerEpoch', type: 'int16', versions: '3+', default: -1 },
  ],
} as const satisfies MessageSpec;

export const InitProducerIdResponse = {
  apiKey: 22,
  type: 'response',
  name: 'InitProducerIdResponse',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+', ignorable: true },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'ProducerId', type: 'int64', versions: '0+', default: -1 },
    { name: 'ProducerEpoch', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const InitProducerId = {
  name: 'InitProducerId',
  apiKey: 22,
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
} as const satisfies ApiDefinition;
