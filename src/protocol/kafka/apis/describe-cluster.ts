// DescribeCluster (api key 60), from Kafka's DescribeClusterRequest.json and
// DescribeClusterResponse.json (KIP-700): the brokers and the controller, as
// Metadata gives them, without topics. Flexible from v0; v1 adds the endpoint
// type (KIP-919: brokers, or the KRaft controllers), v2 fenced brokers
// (KIP-1073; a single node is never fenced).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DescribeClusterRequest = {
  apiKey: 60,
  type: 'request',
  name: 'DescribeClusterRequest',
  validVersions: '0-2',
  flexibleVersions: '0+',
  fields: [
    { name: 'IncludeClusterAuthorizedOperations', type: 'bool', versions: '0+' },
    // 1 = brokers, 2 = controllers.
    { name: 'EndpointType', type: 'int8', versions: '1+', default: 1 },
    { name: 'IncludeFencedBrokers', type: 'bool', versions: '2+' },
  ],
} as const satisfies MessageSpec;

export const DescribeClusterResponse = {
  apiKey: 60,
  type: 'response',
  name: 'DescribeClusterResponse',
  validVersions: '0-2',
  flexibleVersions: '0+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'EndpointType', type: 'int8', versions: '1+', default: 1 },
    { name: 'ClusterId', type: 'string', versions: '0+' },
    { name: 'ControllerId', type: 'int32', versions: '0+', default: -1 },
    {
      name: 'Brokers',
      type: '[]DescribeClusterBroker',
      versions: '0+',
      fields: [
        { name: 'BrokerId', type: 'int32', versions: '0+' },
        { name: 'Host', type: 'string', versions: '0+' },
        { name: 'Port', type: 'int32', versions: '0+' },
        { name: 'Rack', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
        { name: 'IsFenced', type: 'bool', versions: '2+' },
      ],
    },
    // INT32_MIN: not asked for.
    { name: 'ClusterAuthorizedOperations', type: 'int32', versions: '0+', default: -2147483648 },
  ],
} as const satisfies MessageSpec;

export const DescribeCluster = {
  name: 'DescribeCluster',
  apiKey: 60,
  request: DescribeClusterRequest,
  response: DescribeClusterResponse,
} as const satisfies ApiDefinition;
