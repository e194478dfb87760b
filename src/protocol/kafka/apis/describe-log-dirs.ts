// DescribeLogDirs (api key 35), from Kafka's DescribeLogDirsRequest.json and
// DescribeLogDirsResponse.json (KIP-113): a broker's log directories and the
// partitions in each, with their sizes. v1 is v0 again (KIP-339), v2 the
// first flexible version, v3 adds a top-level error code (KIP-784), v4 the
// volume's total and usable bytes (KIP-827), v5 whether the directory is
// cordoned (KIP-1066; mqlab never cordons its one directory).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const DescribeLogDirsRequest = {
  apiKey: 35,
  type: 'request',
  name: 'DescribeLogDirsRequest',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    // Null: every topic.
    {
      name: 'Topics',
      type: '[]DescribableLogDirTopic',
      versions: '0+',
      nullableVersions: '0+',
      fields: [
        { name: 'Topic', type: 'string', versions: '0+' },
        { name: 'Partitions', type: '[]int32', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeLogDirsResponse = {
  apiKey: 35,
  type: 'response',
  name: 'DescribeLogDirsResponse',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '3+', ignorable: true },
    {
      name: 'Results',
      type: '[]DescribeLogDirsResult',
      versions: '0+',
      fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'LogDir', type: 'string', versions: '0+' },
        {
          name: 'Topics',
          type: '[]DescribeLogDirsTopic',
          versions: '0+',
          fields: [
            { name: 'Name', type: 'string', versions: '0+' },
            {
              name: 'Partitions',
              type: '[]DescribeLogDirsPartition',
              versions: '0+',
              fields: [
                { name: 'PartitionIndex', type: 'int32', versions: '0+' },
                { name: 'PartitionSize', type: 'int64', versions: '0+' },
                { name: 'OffsetLag', type: 'int64', versions: '0+' },
                { name: 'IsFutureKey', type: 'bool', versions: '0+' },
              ],
            },
          ],
        },
        { name: 'TotalBytes', type: 'int64', versions: '4+', ignorable: true, default: -1 },
        { name: 'UsableBytes', type: 'int64', versions: '4+', ignorable: true, default: -1 },
        { name: 'IsCordoned', type: 'bool', versions: '5+', ignorable: true, default: false },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeLogDirs = {
  name: 'DescribeLogDirs',
  apiKey: 35,
  request: DescribeLogDirsRequest,
  response: DescribeLogDirsResponse,
} as const satisfies ApiDefinition;
