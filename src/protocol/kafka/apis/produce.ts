// Produce (api key 0), from Kafka's ProduceRequest.json and
// ProduceResponse.json. v3 adds the transactional id and record batch v2;
// v4-v7 change only what errors and compression the client must handle; v8
// adds per-record errors (KIP-467); v9 is the first flexible version. v10
// adds, as tagged fields, where a partition's leader moved (KIP-951): only
// on NOT_LEADER_OR_FOLLOWER, which a single node never answers. v11 only
// lets the broker answer TRANSACTION_ABORTABLE (KIP-890). v12 is v11 on the
// wire; under transaction.version 2 a transactional batch's partition joins
// its transaction on the way in, as AddPartitionsToTxn did (KIP-890 part 2).
// v13 names topics by id (KIP-516), in the request and the response.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const ProduceRequest = {
  apiKey: 0,
  type: 'request',
  name: 'ProduceRequest',
  validVersions: '0-13',
  flexibleVersions: '9+',
  fields: [
    { name: 'TransactionalId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'Acks', type: 'int16', versions: '0+' },
    { name: 'TimeoutMs', type: 'int32', versions: '0+' },
    {
      name: 'TopicData',
      type: '[]TopicProduceData',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0-12', ignorable: true },
        { name: 'TopicId', type: 'uuid', versions: '13+', ignorable: true },
        {
          name: 'PartitionData',
          type: '[]PartitionProduceData',
          versions: '0+',
          fields: [
            { name: 'Index', type: 'int32', versions: '0+' },
            { name: 'Records', type: 'records', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const ProduceResponse = {
  apiKey: 0,
  type: 'response',
  name: 'ProduceResponse',
  validVersions: '0-13',
  flexibleVersions: '9+',
  fields: [
    {
      name: 'Responses',
      type: '[]TopicProduceResponse',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0-12', ignorable: true },
        { name: 'TopicId', type: 'uuid', versions: '13+', ignorable: true },
        {
          name: 'PartitionResponses',
          type: '[]PartitionProduceResponse',
          versions: '0+',
          fields: [
            { name: 'Index', type: 'int32', versions: '0+' },
            { name: 'ErrorCode', type: 'int16', versions: '0+' },
            { name: 'BaseOffset', type: 'int64', versions: '0+' },
            { name: 'LogAppendTimeMs', type: 'int64', versions: '2+', default: -1, ignorable: true },
            { name: 'LogStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
            {
              name: 'RecordErrors',
              type: '[]BatchIndexAndErrorMessage',
              versions: '8+',
              ignorable: true,
              fields: [
                { name: 'BatchIndex', type: 'int32', versions: '8+' },
                { name: 'BatchIndexErrorMessage', type: 'string', versions: '8+', nullableVersions: '8+', default: null },
              ],
            },
            { name: 'ErrorMessage', type: 'string', versions: '8+', nullableVersions: '8+', default: null, ignorable: true },
            {
              name: 'CurrentLeader',
              type: 'LeaderIdAndEpoch',
              versions: '10+',
              taggedVersions: '10+',
              tag: 0,
              fields: [
                { name: 'LeaderId', type: 'int32', versions: '10+', default: -1 },
                { name: 'LeaderEpoch', type: 'int32', versions: '10+', default: -1 },
              ],
            },
          ],
        },
      ],
    },
    { name: 'ThrottleTimeMs', type: 'int32', versions: '1+', ignorable: true, default: 0 },
    {
      name: 'NodeEndpoints',
      type: '[]NodeEndpoint',
      versions: '10+',
      taggedVersions: '10+',
      tag: 0,
      fields: [
        { name: 'NodeId', type: 'int32', versions: '10+' },
        { name: 'Host', type: 'string', versions: '10+' },
        { name: 'Port', type: 'int32', versions: '10+' },
        { name: 'Rack', type: 'string', versions: '10+', nullableVersions: '10+', default: null },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const Produce = {
  name: 'Produce',
  apiKey: 0,
  request: ProduceRequest,
  response: ProduceResponse,
} as const satisfies ApiDefinition;
