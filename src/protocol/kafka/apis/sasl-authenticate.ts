// SaslAuthenticate (api key 36), from Kafka's SaslAuthenticateRequest.json
// and SaslAuthenticateResponse.json (KIP-152): one SASL token each way, so
// a failed login gets an error code and message instead of a closed socket.
// v1 adds the session lifetime (KIP-368 re-authentication), v2 is flexible.
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const SaslAuthenticateRequest = {
  apiKey: 36,
  type: 'request',
  name: 'SaslAuthenticateRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [{ name: 'AuthBytes', type: 'bytes', versions: '0+' }],
} as const satisfies MessageSpec;

export const SaslAuthenticateResponse = {
  apiKey: 36,
  type: 'response',
  name: 'SaslAuthenticateResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'ErrorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'AuthBytes', type: 'bytes', versions: '0+' },
    { name: 'SessionLifetimeMs', type: 'int64', versions: '1+', default: 0, ignorable: true },
  ],
} as const satisfies MessageSpec;

export const SaslAuthenticate = {
  name: 'SaslAuthenticate',
  apiKey: 36,
  request: SaslAuthenticateRequest,
  response: SaslAuthenticateResponse,
} as const satisfies ApiDefinition;
