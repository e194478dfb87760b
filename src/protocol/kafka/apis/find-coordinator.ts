// FindCoordinator (api key 10), from Kafka's FindCoordinatorRequest.json and
// FindCoordinatorResponse.json. v1 adds the key type (group or transaction)
// and, in the response, throttle time and an error message; v2 is the same
// as v1. v3 is the first flexible version and v4 batches keys (KIP-699);
// these declarations stop at v2.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const FindCoordinatorRequest = {
  apiKey: 10,
  type: 'request',
  name: 'FindCoordinatorRequest',
  validVersions: '0-2',
  flexibleVersions: '3+',
  fields: [
    { name: 'Key', type: 'string', versions: '0+' },
    { name: 'KeyType', type: 'int8', versions: '1+', default: 0, ignorable: false },
  ],
} as const satisfies MessageSpec;

export const FindCoordinatorResponse = {
  apiKey: 10,
  type: 'response',
  name: 'FindCoordinatorResponse',
  validVersions: '0-2',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'ErrorCode', type: 'int16', versions: '0-3' },
    { name: 'ErrorMessage', type: 'string', versions: '1-3', nullableVersions: '1-3', ignorable: true },
    { name: 'NodeId', type: 'int32', versions: '0-3' },
    { name: 'Host', type: 'string', versions: '0-3' },
    { name: 'Port', type: 'int32', versions: '0-3' },
  ],
} as const satisfies MessageSpec;

export const FindCoordinator = {
  name: 'FindCoordinator',
  apiKey: 10,
  request: FindCoordinatorRequest,
  response: FindCoordinatorResponse,
} as const satisfies ApiDefinition;
