// DescribeConfigs (api key 32), from Kafka's DescribeConfigsRequest.json and
// DescribeConfigsResponse.json. v1 adds synonyms and the config source
// (replacing v0's IsDefault); v2 is the same as v1. v3 adds documentation
// and types, v4 is the first flexible version. The request keeps the
// spelling IncludeSynoyms of Kafka before 2.6 (callers use its key).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DescribeConfigsRequest = {
  apiKey: 32,
  type: 'request',
  name: 'DescribeConfigsRequest',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    {
      name: 'Resources',
      type: '[]DescribeConfigsResource',
      versions: '0+',
      fields: [
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
        // Null asks for every key.
        { name: 'ConfigurationKeys', type: '[]string', versions: '0+', nullableVersions: '0+' },
      ],
    },
    { name: 'IncludeSynoyms', type: 'bool', versions: '1+', default: false, ignorable: false },
    { name: 'IncludeDocumentation', type: 'bool', versions: '3+', default: false, ignorable: false },
  ],
} as const satisfies MessageSpec;

export const DescribeConfigsResponse = {
  apiKey: 32,
  type: 'response',
  name: 'DescribeConfigsResponse',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'Results',
      type: '[]DescribeConfigsResult',
      versions: '0+',
      fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'ResourceType', type: 'int8', versions: '0+' },
        { name: 'ResourceName', type: 'string', versions: '0+' },
        {
          name: 'Configs',
          type: '[]DescribeConfigsResourceResult',
          versions: '0+',
          fields: [
            { name: 'Name', type: 'string', versions: '0+' },
            { name: 'Value', type: 'string', versions: '0+', nullableVersions: '0+' },
            { name: 'ReadOnly', type: 'bool', versions: '0+' },
            { name: 'IsDefault', type: 'bool', versions: '0' },
            // Kafka: the v0 default a caller should see depends on the
            // resource (4 for a broker); -1 is a placeholder.
            { name: 'ConfigSource', type: 'int8', versions: '1+', default: -1, ignorable: true },
            { name: 'IsSensitive', type: 'bool', versions: '0+' },
            {
              name: 'Synonyms',
              type: '[]DescribeConfigsSynonym',
              versions: '1+',
              ignorable: true,
              fields: [
                { name: 'Name', type: 'string', versions: '1+' },
                { name: 'Value', type: 'string', versions: '1+', nullableVersions: '0+' },
                { name: 'Source', type: 'int8', versions: '1+' },
              ],
            },
            // 1 BOOLEAN, 2 STRING, 3 INT, 4 SHORT, 5 LONG, 6 DOUBLE, 7 LIST, 8 CLASS, 9 PASSWORD; 0 unknown.
            { name: 'ConfigType', type: 'int8', versions: '3+', default: 0, ignorable: true },
            { name: 'Documentation', type: 'string', versions: '3+', nullableVersions: '0+', ignorable: true },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeConfigs = {
  name: 'DescribeConfigs',
  apiKey: 32,
  request: DescribeConfigsRequest,
  response: DescribeConfigsResponse,
} as const satisfies ApiDefinition;
