// ListGroups (api key 16), from Kafka's ListGroupsRequest.json and
// ListGroupsResponse.json. v1 adds throttle time; v3 is the first flexible
// version; v4 filters by state (KIP-518), v5 by type (KIP-848).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const ListGroupsRequest = {
  apiKey: 16,
  type: 'request',
  name: 'ListGroupsRequest',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'StatesFilter', type: '[]string', versions: '4+' },
    { name: 'TypesFilter', type: '[]string', versions: '5+' },
  ],
} as const satisfies MessageSpec;

export const ListGroupsResponse = {
  apiKey: 16,
  type: 'response',
  name: 'ListGroupsResponse',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    {
      name: 'Groups',
      type: '[]ListedGroup',
      versions: '0+',
      fields: [
        { name: 'GroupId', type: 'string', versions: '0+' },
        { name: 'ProtocolType', type: 'string', versions: '0+' },
        { name: 'GroupState', type: 'string', versions: '4+', ignorable: true },
        { name: 'GroupType', type: 'string', versions: '5+', ignorable: true },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const ListGroups = {
  name: 'ListGroups',
  apiKey: 16,
  request: ListGroupsRequest,
  response: ListGroupsResponse,
} as const satisfies ApiDefinition;
