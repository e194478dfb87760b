// DeleteAcls (api key 31), from Kafka's DeleteAclsRequest.json and
// ...Response.json: per filter, the ACLs it matched and removed. v1 adds
// the pattern type (KIP-290), v2 is flexible, v3 admits the USER resource
// type (KIP-373).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DeleteAclsRequest = {
  apiKey: 31,
  type: 'request',
  name: 'DeleteAclsRequest',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'Filters',
      type: '[]DeleteAclsFilter',
      versions: '0+',
      fields: [
        { name: 'ResourceTypeFilter', type: 'int8', versions: '0+' },
        { name: 'ResourceNameFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'PatternTypeFilter', type: 'int8', versions: '1+', default: 3 },
        { name: 'PrincipalFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'HostFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'Operation', type: 'int8', versions: '0+' },
        { name: 'PermissionType', type: 'int8', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DeleteAclsResponse = {
  apiKey: 31,
  type: 'response',
  name: 'DeleteAclsResponse',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'FilterResults',
      type: '[]DeleteAclsFilterResult',
      versions: '0+',
      fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        {
          name: 'MatchingAcls',
          type: '[]DeleteAclsMatchingAcl',
          versions: '0+',
          fields: [
            { name: 'ErrorCode', type: 'int16', versions: '0+' },
            { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
            { name: 'ResourceType', type: 'int8', versions: '0+' },
            { name: 'ResourceName', type: 'string', versions: '0+' },
            { name: 'PatternType', type: 'int8', versions: '1+', default: 3 },
            { name: 'Principal', type: 'string', versions: '0+' },
            { name: 'Host', type: 'string', versions: '0+' },
            { name: 'Operation', type: 'int8', versions: '0+' },
            { name: 'PermissionType', type: 'int8', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DeleteAcls = {
  name: 'DeleteAcls',
  apiKey: 31,
  request: DeleteAclsRequest,
  response: DeleteAclsResponse,
} as const satisfies ApiDefinition;
