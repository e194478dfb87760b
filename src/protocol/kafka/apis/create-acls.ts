// CreateAcls (api key 30), from Kafka's CreateAclsRequest.json and
// ...Response.json: one result per ACL asked for, in order. v1 adds the
// pattern type (KIP-290), v2 is flexible, v3 admits the USER resource type
// (KIP-373).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const CreateAclsRequest = {
  apiKey: 30,
  type: 'request',
  name: 'CreateAclsRequest',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'Creations',
      type: '[]AclCreation',
      versions: '0+',
      fields: [
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
        { name: 'ResourcePatternType', type: 'int8', versions: '1+', default: 3 },
        { name: 'Principal', type: 'string', versions: '0+' },
        { name: 'Host', type: 'string', versions: '0+' },
        { name: 'Operation', type: 'int8', versions: '0+' },
        { name: 'PermissionType', type: 'int8', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const CreateAclsResponse = {
  apiKey: 30,
  type: 'response',
  name: 'CreateAclsResponse',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'Results',
      type: '[]AclCreationResult',
      versions: '0+',
      fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const CreateAcls = {
  name: 'CreateAcls',
  apiKey: 30,
  request: CreateAclsRequest,
  response: CreateAclsResponse,
} as const satisfies ApiDefinition;
