// DescribeAcls (api key 29), from Kafka's DescribeAclsRequest.json and
// ...Response.json: the ACLs one filter matches, grouped by resource
// pattern. v1 adds the pattern type (KIP-290), v2 is flexible, v3 admits
// the USER resource type (KIP-373).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DescribeAclsRequest = {
  apiKey: 29,
  type: 'request',
  name: 'DescribeAclsRequest',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'ResourceTypeFilter', type: 'int8', versions: '0+' },
    { name: 'ResourceNameFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'PatternTypeFilter', type: 'int8', versions: '1+', default: 3 },
    { name: 'PrincipalFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'HostFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'Operation', type: 'int8', versions: '0+' },
    { name: 'PermissionType', type: 'int8', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const DescribeAclsResponse = {
  apiKey: 29,
  type: 'response',
  name: 'DescribeAclsResponse',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'Resources',
      type: '[]DescribeAclsResource',
      versions: '0+',
      fields: [
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
        { name: 'PatternType', type: 'int8', versions: '1+', default: 3 },
        {
          name: 'Acls',
          type: '[]AclDescription',
          versions: '0+',
          fields: [
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

export const DescribeAcls = {
  name: 'DescribeAcls',
  apiKey: 29,
  request: DescribeAclsRequest,
  response: DescribeAclsResponse,
} as const satisfies ApiDefinition;
