// AddPartitionsToTxn (api key 24), from Kafka's AddPartitionsToTxnRequest.json
// and AddPartitionsToTxnResponse.json: a transactional producer names the
// partitions it is about to write to. v0-3 carry one transaction (the
// V3AndBelow fields, as clients send them); v4 batches several with
// VerifyOnly (Kafka's brokers verify with it, KIP-890). v5 is v4 on the
// wire, the broker only allowed to answer TRANSACTION_ABORTABLE too (which
// this one never has cause to). The common structs are written out in place.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const AddPartitionsToTxnRequest = {
  apiKey: 24,
  type: 'request',
  name: 'AddPartitionsToTxnRequest',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    {
      name: 'Transactions',
      type: '[]AddPartitionsToTxnTransaction',
      versions: '4+',
      fields: [
        { name: 'TransactionalId', type: 'string', versions: '4+' },
        { name: 'ProducerId', type: 'int64', versions: '4+' },
        { name: 'ProducerEpoch', type: 'int16', versions: '4+' },
        { name: 'VerifyOnly', type: 'bool', versions: '4+', default: false },
        {
          name: 'Topics',
          type: '[]AddPartitionsToTxnTopic',
          versions: '4+',
          fields: [
            { name: 'Name', type: 'string', versions: '0+' },
            { name: 'Partitions', type: '[]int32', versions: '0+' },
          ],
        },
      ],
    },
    { name: 'V3AndBelowTransactionalId', type: 'string', versions: '0-3' },
    { name: 'V3AndBelowProducerId', type: 'int64', versions: '0-3' },
    { name: 'V3AndBelowProducerEpoch', type: 'int16', versions: '0-3' },
    {
      name: 'V3AndBelowTopics',
      type: '[]AddPartitionsToTxnTopic',
      versions: '0-3',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'Partitions', type: '[]int32', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const AddPartitionsToTxnResponse = {
  apiKey: 24,
  type: 'response',
  name: 'AddPartitionsToTxnResponse',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '4+', ignorable: true },
    {
      name: 'ResultsByTransaction',
      type: '[]AddPartitionsToTxnResult',
      versions: '4+',
      fields: [
        { name: 'TransactionalId', type: 'string', versions: '4+' },
        {
          name: 'TopicResults',
          type: '[]AddPartitionsToTxnTopicResult',
          versions: '4+',
          fields: [
            { name: 'Name', type: 'string', versions: '0+' },
            {
              name: 'ResultsByPartition',
              type: '[]AddPartitionsToTxnPartitionResult',
              versions: '0+',
              fields: [
                { name: 'PartitionIndex', type: 'int32', versions: '0+' },
                { name: 'PartitionErrorCode', type: 'int16', versions: '0+' },
              ],
            },
          ],
        },
      ],
    },
    {
      name: 'ResultsByTopicV3AndBelow',
      type: '[]AddPartitionsToTxnTopicResult',
      versions: '0-3',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        {
          name: 'ResultsByPartition',
          type: '[]AddPartitionsToTxnPartitionResult',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'PartitionErrorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const AddPartitionsToTxn = {
  name: 'AddPartitionsToTxn',
  apiKey: 24,
  request: AddPartitionsToTxnRequest,
  response: AddPartitionsToTxnResponse,
} as const satisfies ApiDefinition;
