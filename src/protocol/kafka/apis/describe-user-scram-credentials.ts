// DescribeUserScramCredentials (api key 50), from Kafka's
// DescribeUserScramCredentialsRequest.json and ...Response.json (KIP-554):
// which SCRAM mechanisms each user has credentials for, with their
// iteration counts; never the credentials themselves.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DescribeUserScramCredentialsRequest = {
  apiKey: 50,
  type: 'request',
  name: 'DescribeUserScramCredentialsRequest',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    {
      name: 'Users',
      type: '[]UserName',
      versions: '0+',
      nullableVersions: '0+',
      fields: [{ name: 'Name', type: 'string', versions: '0+' }],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeUserScramCredentialsResponse = {
  apiKey: 50,
  type: 'response',
  name: 'DescribeUserScramCredentialsResponse',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'Results',
      type: '[]DescribeUserScramCredentialsResult',
      versions: '0+',
      fields: [
        { name: 'User', type: 'string', versions: '0+' },
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        {
          name: 'CredentialInfos',
          type: '[]CredentialInfo',
          versions: '0+',
          fields: [
            { name: 'Mechanism', type: 'int8', versions: '0+' },
            { name: 'Iterations', type: 'int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeUserScramCredentials = {
  name: 'DescribeUserScramCredentials',
  apiKey: 50,
  request: DescribeUserScramCredentialsRequest,
  response: DescribeUserScramCredentialsResponse,
} as const satisfies ApiDefinition;
