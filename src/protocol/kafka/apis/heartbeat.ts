// Heartbeat (api key 12), from Kafka's HeartbeatRequest.json and
// HeartbeatResponse.json. v1 adds throttle time, v3 static membership; v4 is
// the first flexible version.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const HeartbeatRequest = {
  apiKey: 12,
  type: 'request',
  name: 'HeartbeatRequest',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'GroupId', type: 'string', versions: '0+' },
    { name: 'GenerationId', type: 'int32', versions: '0+' },
    { name: 'MemberId', type: 'string', versions: '0+' },
    { name: 'GroupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
  ],
} as const satisfies MessageSpec;

export const HeartbeatResponse = {
  apiKey: 12,
  type: 'response',
  name: 'HeartbeatResponse',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const Heartbeat = {
  name: 'Heartbeat',
  apiKey: 12,
  request: HeartbeatRequest,
  response: HeartbeatResponse,
} as const satisfies ApiDefinition;
