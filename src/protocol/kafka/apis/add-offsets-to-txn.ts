// AddOffsetsToTxn (api key 25), from Kafka's AddOffsetsToTxnRequest.json and
// AddOffsetsToTxnResponse.json: a transactional producer says it will commit
// a consumer group's offsets in its transaction (then TxnOffsetCommit).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const AddOffsetsToTxnRequest = {
  apiKey: 25,
  type: 'request',
  name: 'AddOffsetsToTxnRequest',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'TransactionalId', type: 'string', versions: '0+' },
    { name: 'ProducerId', type: 'int64', versions: '0+' },
    { name: 'ProducerEpoch', type: 'int16', versions: '0+' },
    { name: 'GroupId', type: 'string', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const AddOffsetsToTxnResponse = {
  apiKey: 25,
  type: 'response',
  name: 'AddOffsetsToTxnResponse',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const AddOffsetsToTxn = {
  name: 'AddOffsetsToTxn',
  apiKey: 25,
  request: AddOffsetsToTxnRequest,
  response: AddOffsetsToTxnResponse,
} as const satisfies ApiDefinition;
