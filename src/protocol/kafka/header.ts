// Request and response headers, and the entry points that put a header and
// a body together. Frames here are without their 4-byte size prefix (the
// network layer's frame decoder strips it, and adds it when sending).
//
//   request header v1   api_key int16, api_version int16, correlation_id
//                       int32, client_id nullable string
//   request header v2   v1 + tagged fields; client_id stays a non-compact
//                       string, so any header can be read up to it
//   response header v0  correlation_id int32
//   response header v1  v0 + tagged fields
//
// A request or response uses the v2/v1 header when its own version is
// flexible, with one exception: ApiVersions responses always use header v0,
// so a client can read the answer before it knows what the broker speaks.
// (Request header v0, without client_id, is only ever used by
// ControlledShutdown v0, which is not served.)
import {
  KAFKA_REGISTRY,
  type ApiKey,
  type ApiRegistry,
  type RequestBody,
  type RequestInput,
  type ResponseBody,
  type ResponseInput,
  type ServedApi,
} from './apis/index.js';
import { decode, encode } from './codec.js';
import { EncodeError, ProtocolError, UnsupportedVersionError, withinField } from './errors.js';
import type { Encoded } from './primitives.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { isFlexible, type Input, type MessageSpec } from './schema.js';

const API_VERSIONS_KEY = 18;

/**
 * Array elements and tagged fields one request may hold, all its arrays
 * together. A decoded element costs tens of times its wire bytes (an
 * object or a string each, and usually an entry in the answer), so a
 * 100 MiB frame of two-byte strings would take gigabytes. Ten times what
 * this broker's own limits let a request name (10,000 partitions, 10,000
 * groups); more closes the connection, as a frame over the size limit does.
 */
export const MAX_REQUEST_ELEMENTS = 100_000;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** A decoded request; switching on `apiKey` narrows `body` to that API's request. */
export type DecodedRequest = {
  [K in ApiKey]: { header: RequestHeader; apiKey: K; apiVersion: number; body: RequestBody<K> };
}[ApiKey];

export function requestHeaderVersion(api: ServedApi, apiVersion: number): 1 | 2 {
  return isFlexible(api.request, apiVersion) ? 2 : 1;
}

export function responseHeaderVersion(api: ServedApi, apiVersion: number): 0 | 1 {
  if (api.apiKey === API_VERSIONS_KEY) return 0;
  return isFlexible(api.response, apiVersion) ? 1 : 0;
}

function served(api: ServedApi, apiVersion: number): boolean {
  return apiVersion >= api.minVersion && apiVersion <= api.maxVersion;
}

function readHeaderField<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw withinField(err, name);
  }
}

/** Reads the header fields every request version shares (v1's). */
function readHeaderV1(r: Reader): RequestHeader {
  return {
    apiKey: readHeaderField('apiKey', () => r.int16()),
    apiVersion: readHeaderField('apiVersion', () => r.int16()),
    correlationId: readHeaderField('correlationId', () => r.int32()),
    clientId: readHeaderField('clientId', () => r.nullableString()),
  };
}

/** Skips a header's tagged fields: none are defined for requests yet. */
function skipHeaderTags(r: Reader): void {
  readHeaderField('taggedFields', () => r.taggedFields(() => false));
}

function noTrailingBytes(r: Reader): void {
  if (r.remaining > 0) {
    throw ProtocolError.malformed(`leaves ${r.remaining} byte${r.remaining === 1 ? '' : 's'} after the body`);
  }
}

/**
 * Decodes a request frame. Throws UnsupportedVersionError (with the header,
 * so ApiVersions can still be answered) for an API or version not served,
 * and ProtocolError for bytes that do not parse. `body` is a set of plain
 * objects; its bytes and records fields are views of `frame`.
 */
export function decodeRequest(frame: Buffer, registry: ApiRegistry = KAFKA_REGISTRY): DecodedRequest {
  const r = new Reader(frame).limitElements(MAX_REQUEST_ELEMENTS);
  let header: RequestHeader;
  try {
    header = readHeaderV1(r);
  } catch (err) {
    if (err instanceof ProtocolError) err.reading('request', 'header');
    throw err;
  }
  const { apiKey, apiVersion, correlationId, clientId } = header;
  const api = registry.get(apiKey);
  if (api === undefined) {
    throw new UnsupportedVersionError(apiKey, apiVersion, correlationId, clientId, `api key ${apiKey} is not served`);
  }
  if (!served(api, apiVersion)) {
    throw new UnsupportedVersionError(
      apiKey,
      apiVersion,
      correlationId,
      clientId,
      `${api.name} v${apiVersion} is not served (${api.minVersion}-${api.maxVersion})`,
    );
  }
  try {
    if (requestHeaderVersion(api, apiVersion) === 2) skipHeaderTags(r);
    const body = decode(api.request, apiVersion, r);
    noTrailingBytes(r);
    return { header, apiKey, apiVersion, body } as DecodedRequest;
  } catch (err) {
    if (err instanceof ProtocolError) err.reading('request', `${api.name} v${apiVersion}`);
    throw err;
  }
}

function servedApi(registry: ApiRegistry, apiKey: number, apiVersion: number): ServedApi {
  const api = registry.get(apiKey);
  if (api === undefined) throw new EncodeError(`api key ${apiKey} is not served`);
  if (!served(api, apiVersion)) throw new EncodeError(`${api.name} v${apiVersion} is not served (${api.minVersion}-${api.maxVersion})`);
  return api;
}

/**
 * Encodes a response: header, then body, without the size prefix. The
 * result's parts alternate bytes and file regions when records were given
 * as regions (a fetch), and are one buffer otherwise.
 */
export function encodeResponse<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInput<K>,
  registry: ApiRegistry = KAFKA_REGISTRY,
): Encoded {
  const api = servedApi(registry, apiKey, apiVersion);
  const w = new Writer();
  w.int32(correlationId);
  if (responseHeaderVersion(api, apiVersion) === 1) w.taggedFields([]);
  encode(api.response, apiVersion, body as Input<MessageSpec>, w);
  return w.finish();
}

// ---- the client side: what mqlab's own client and the tests need ---------

/** Encodes a request: header, then body, without the size prefix. */
export function encodeRequest<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: RequestInput<K>,
  registry: ApiRegistry = KAFKA_REGISTRY,
): Encoded {
  const api = servedApi(registry, apiKey, apiVersion);
  const w = new Writer();
  w.int16(apiKey).int16(apiVersion).int32(correlationId).nullableString(clientId);
  if (requestHeaderVersion(api, apiVersion) === 2) w.taggedFields([]);
  encode(api.request, apiVersion, body as Input<MessageSpec>, w);
  return w.finish();
}

/** Decodes a response frame to a request of `apiKey` at `apiVersion`. */
export function decodeResponse<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
  registry: ApiRegistry = KAFKA_REGISTRY,
): { correlationId: number; body: ResponseBody<K> } {
  const api = registry.get(apiKey);
  if (api === undefined) throw new ProtocolError('UNSUPPORTED_VERSION', `api key ${apiKey} is not known`);
  const r = new Reader(frame);
  try {
    const correlationId = readHeaderField('correlationId', () => r.int32());
    if (responseHeaderVersion(api, apiVersion) === 1) skipHeaderTags(r);
    const body = decode(api.response, apiVersion, r) as ResponseBody<K>;
    noTrailingBytes(r);
    return { correlationId, body };
  } catch (err) {
    if (err instanceof ProtocolError) err.reading('response', `${api.name} v${apiVersion}`);
    throw err;
  }
}
