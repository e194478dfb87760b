// FindCoordinator (api key 10), from Kafka's FindCoordinatorRequest.json and
// FindCoordinatorResponse.json. v1 adds the key type (group or transaction)
// and, in the response, throttle time and an error message; v2 is the same
// as v1. v3 is the first flexible version and v4 batches keys (KIP-699):
// CoordinatorKeys in, one Coordinators entry per key out. v5 and v6 are v4
// on the wire; they only let the broker answer TRANSACTION_ABORTABLE
// (KIP-890) and key type 2, share groups (KIP-932).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const FindCoordinatorRequest = {
  apiKey: 10,
  type: 'request',
  name: 'FindCoordinatorRequest',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'Key', type: 'string', versions: '0-3' },
    { name: 'KeyType', type: 'int8', versions: '1+', default: 0, ignorable: false },
    { name: 'CoordinatorKeys', type: '[]string', versions: '4+' },
  ],
} as const satisfies MessageSpec;

export const FindCoordinatorResponse = {
  apiKey: 10,
  type: 'response',
  name: 'FindCoordinatorResponse',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'ErrorCode', type: 'int16', versions: '0-3' },
    { name: 'ErrorMessage', type: 'string', versions: '1-3', nullableVersions: '1-3', ignorable: true },
    { name: 'NodeId', type: 'int32', versions: '0-3' },
    { name: 'Host', type: 'string', versions: '0-3' },
    { name: 'Port', type: 'int32', versions: '0-3' },
    {
      name: 'Coordinators',
      type: '[]Coordinator',
      versions: '4+',
      fields: [
        { name: 'Key', type: 'string', versions: '4+' },
        { name: 'NodeId', type: 'int32', versions: '4+' },
        { name: 'Host', type: 'string', versions: '4+' },
        { name: 'Port', type: 'int32', versions: '4+' },
        { name: 'ErrorCode', type: 'int16', versions: '4+' },
        { name: 'ErrorMessage', type: 'string', versions: '4+', nullableVersions: '4+', ignorable: true },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const FindCoordinator = {
  name: 'FindCoordinator',
  apiKey: 10,
  request: FindCoordinatorRequest,
  response: FindCoordinatorResponse,
} as const satisfies ApiDefinition;
