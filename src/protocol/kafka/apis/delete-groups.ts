// DeleteGroups (api key 42), from Kafka's DeleteGroupsRequest.json and
// DeleteGroupsResponse.json (KIP-229): deletes empty groups and their
// committed offsets. v1 is v0 again (KIP-339), v2 the first flexible version.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DeleteGroupsRequest = {
  apiKey: 42,
  type: 'request',
  name: 'DeleteGroupsRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  // Kafka's spelling: GroupsNames.
  fields: [{ name: 'GroupsNames', type: '[]string', versions: '0+' }],
} as const satisfies MessageSpec;

export const DeleteGroupsResponse = {
  apiKey: 42,
  type: 'response',
  name: 'DeleteGroupsResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'Results',
      type: '[]DeletableGroupResult',
      versions: '0+',
      fields: [
        { name: 'GroupId', type: 'string', versions: '0+' },
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DeleteGroups = {
  name: 'DeleteGroups',
  apiKey: 42,
  request: DeleteGroupsRequest,
  response: DeleteGroupsResponse,
} as const satisfies ApiDefinition;
