// SaslHandshake (api key 17), from Kafka's SaslHandshakeRequest.json and
// SaslHandshakeResponse.json: the client names a SASL mechanism. After v0
// the client sends bare SASL tokens (size-prefixed, no request header);
// after v1 it sends them in SaslAuthenticate requests (KIP-152).
import type { ApiDefinition, MessageSpec } from '../schema.js';

export const SaslHandshakeRequest = {
  apiKey: 17,
  type: 'request',
  name: 'SaslHandshakeRequest',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [{ name: 'Mechanism', type: 'string', versions: '0+' }],
} as const satisfies MessageSpec;

export const SaslHandshakeResponse = {
  apiKey: 17,
  type: 'response',
  name: 'SaslHandshakeResponse',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'Mechanisms', type: '[]string', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const SaslHandshake = {
  name: 'SaslHandshake',
  apiKey: 17,
  request: SaslHandshakeRequest,
  response: SaslHandshakeResponse,
} as const satisfies ApiDefinition;
