// EndTxn (api key 26), from Kafka's EndTxnRequest.json and
// EndTxnResponse.json: commit or abort. v5 (KIP-890 part 2: the producer id
// and epoch in the answer) is unstable in the vendored definitions: declared
// to v4; the v5 response fields are kept as transcribed and never sent.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const EndTxnRequest = {
  apiKey: 26,
  type: 'request',
  name: 'EndTxnRequest',
  validVersions: '0-4',
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
  validVersions: '0-4',
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
