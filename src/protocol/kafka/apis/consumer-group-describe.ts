// ConsumerGroupDescribe (api key 69), from Kafka's
// ConsumerGroupDescribeRequest.json and ConsumerGroupDescribeResponse.json:
// DescribeGroups for KIP-848's consumer groups, with epochs, the assignor,
// and each member's current and target assignment. Every version is
// flexible; v1 adds each member's type (KIP-1099: classic or consumer).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const ConsumerGroupDescribeRequest = {
  apiKey: 69,
  type: 'request',
  name: 'ConsumerGroupDescribeRequest',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'GroupIds', type: '[]string', versions: '0+' },
    { name: 'IncludeAuthorizedOperations', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSpec;

/** Kafka's commonStructs Assignment (of TopicPartitions), spelled out where used. */
const assignment = <N extends string>(name: N) =>
  ({
    name,
    type: 'Assignment',
    versions: '0+',
    fields: [
      {
        name: 'TopicPartitions',
        type: '[]TopicPartitions',
        versions: '0+',
        fields: [
          { name: 'TopicId', type: 'uuid', versions: '0+' },
          { name: 'TopicName', type: 'string', versions: '0+' },
          { name: 'Partitions', type: '[]int32', versions: '0+' },
        ],
      },
    ],
  }) as const;

export const ConsumerGroupDescribeResponse = {
  apiKey: 69,
  type: 'response',
  name: 'ConsumerGroupDescribeResponse',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'Groups',
      type: '[]DescribedGroup',
      versions: '0+',
      fields: [
        { name: 'ErrorCode', type: 'int16', versions: '0+' },
        { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
        { name: 'GroupId', type: 'string', versions: '0+' },
        { name: 'GroupState', type: 'string', versions: '0+' },
        { name: 'GroupEpoch', type: 'int32', versions: '0+' },
        { name: 'AssignmentEpoch', type: 'int32', versions: '0+' },
        { name: 'AssignorName', type: 'string', versions: '0+' },
        {
          name: 'Members',
          type: '[]Member',
          versions: '0+',
          fields: [
            { name: 'MemberId', type: 'string', versions: '0+' },
            { name: 'InstanceId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'RackId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'MemberEpoch', type: 'int32', versions: '0+' },
            { name: 'ClientId', type: 'string', versions: '0+' },
            { name: 'ClientHost', type: 'string', versions: '0+' },
            { name: 'SubscribedTopicNames', type: '[]string', versions: '0+' },
            { name: 'SubscribedTopicRegex', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            assignment('Assignment'),
            assignment('TargetAssignment'),
            // 1: a consumer-protocol member (the only kind here: classic members never join a consumer group); 0: classic; -1: unknown.
            { name: 'MemberType', type: 'int8', versions: '1+', default: -1, ignorable: true },
          ],
        },
        { name: 'AuthorizedOperations', type: 'int32', versions: '0+', default: -2147483648 },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const ConsumerGroupDescribe = {
  name: 'ConsumerGroupDescribe',
  apiKey: 69,
  request: ConsumerGroupDescribeRequest,
  response: ConsumerGroupDescribeResponse,
} as const satisfies ApiDefinition;
