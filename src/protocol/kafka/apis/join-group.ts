// JoinGroup (api key 11), from Kafka's JoinGroupRequest.json and
// JoinGroupResponse.json. v1 adds the rebalance timeout, v2 throttle time;
// from v4 a new member must rejoin with the member id it is given (KIP-394,
// MEMBER_ID_REQUIRED); v5 adds static membership (group instance ids); v6 is
// the first flexible version; v7 returns the protocol type (KIP-559); v8
// adds the client's reason for joining (KIP-800); v9 lets a static leader
// rejoining a stable group skip the assignment (KIP-814).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const JoinGroupRequest = {
  apiKey: 11,
  type: 'request',
  name: 'JoinGroupRequest',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'GroupId', type: 'string', versions: '0+' },
    { name: 'SessionTimeoutMs', type: 'int32', versions: '0+' },
    // Absent in v0, where the session timeout is the rebalance timeout too.
    { name: 'RebalanceTimeoutMs', type: 'int32', versions: '1+', default: -1, ignorable: true },
    { name: 'MemberId', type: 'string', versions: '0+' },
    { name: 'GroupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'ProtocolType', type: 'string', versions: '0+' },
    {
      name: 'Protocols',
      type: '[]JoinGroupRequestProtocol',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'Metadata', type: 'bytes', versions: '0+' },
      ],
    },
    { name: 'Reason', type: 'string', versions: '8+', nullableVersions: '8+', default: null, ignorable: true },
  ],
} as const satisfies MessageSpec;

export const JoinGroupResponse = {
  apiKey: 11,
  type: 'response',
  name: 'JoinGroupResponse',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'GenerationId', type: 'int32', versions: '0+', default: -1 },
    { name: 'ProtocolType', type: 'string', versions: '7+', nullableVersions: '7+', default: null, ignorable: true },
    { name: 'ProtocolName', type: 'string', versions: '0+', nullableVersions: '7+' },
    { name: 'Leader', type: 'string', versions: '0+' },
    { name: 'SkipAssignment', type: 'bool', versions: '9+', default: false },
    { name: 'MemberId', type: 'string', versions: '0+' },
    {
      name: 'Members',
      type: '[]JoinGroupResponseMember',
      versions: '0+',
      fields: [
        { name: 'MemberId', type: 'string', versions: '0+' },
        { name: 'GroupInstanceId', type: 'string', versions: '5+', ignorable: true, nullableVersions: '5+', default: null },
        { name: 'Metadata', type: 'bytes', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const JoinGroup = {
  name: 'JoinGroup',
  apiKey: 11,
  request: JoinGroupRequest,
  response: JoinGroupResponse,
} as const satisfies ApiDefinition;
