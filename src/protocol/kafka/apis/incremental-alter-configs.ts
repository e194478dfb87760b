// IncrementalAlterConfigs (api key 44), from Kafka's
// IncrementalAlterConfigsRequest.json and IncrementalAlterConfigsResponse.json
// (KIP-339): set, delete, append to or subtract from single keys. v1 is the
// first flexible version, with no other change. mqlab serves the
// transfer.strategy switch through it (on the broker resource).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const IncrementalAlterConfigsRequest = {
  apiKey: 44,
  type: 'request',
  name: 'IncrementalAlterConfigsRequest',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    {
      name: 'Resources',
      type: '[]AlterConfigsResource',
      versions: '0+',
      fields: [
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
        {
          name: 'Configs',
          type: '[]AlterableConfig',
          versions: '0+',
          fields: [
            { name: 'Name', type: 'string', versions: '0+' },
            // 0 set, 1 delete, 2 append, 3 subtract.
            { name: 'ConfigOperation', type: 'int8', versions: '0+' },
            { name: 'Value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    { name: 'ValidateOnly', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const IncrementalAlterConfigsResponse = {
  apiKey: 44,
  type: 'response',
  name: 'IncrementalAlterConfigsResponse',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      // Kafka spells this one in lower case in the JSON.
      name: 'responses',
      type: '[]AlterConfigsResourceResult',
      versions: '0+',
      fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', nullableVersions: '0+', versions: '0+' },
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const IncrementalAlterConfigs = {
  name: 'IncrementalAlterConfigs',
  apiKey: 44,
  request: IncrementalAlterConfigsRequest,
  response: IncrementalAlterConfigsResponse,
} as const satisfies ApiDefinition;
