// The Kafka wire protocol: primitive types, message declarations (one module
// per API under apis/), one codec that reads and writes any of them, headers,
// and error codes. A request handler needs only:
//
//   const req = decodeRequest(frame);    // frame without its size prefix
//   switch (req.apiKey) {                 // narrows req.body to that API
//     case ApiKeys.Fetch:
//       // req.body.topics[i].partitions[j].fetchOffset is a bigint
//       return encodeResponse(ApiKeys.Fetch, req.apiVersion, req.header.correlationId, {
//         responses: [{ topic, partitions: [{ partitionIndex, errorCode: 0, highWatermark,
//           records: { length: bytes, regions } }] }],   // file regions: never copied
//       });                                // { parts: bytes, regions, bytes, …; size }
//   }
//
// decodeRequest throws UnsupportedVersionError (an API or version not
// served; answer ApiVersions with a v0 UNSUPPORTED_VERSION response) or
// ProtocolError (bytes that do not parse; close the connection).
// encodeResponse throws EncodeError for a body the schema cannot carry.
export {
  ApiKeys,
  KAFKA_APIS,
  KAFKA_REGISTRY,
  advertisedVersions,
  registryOf,
  serve,
  type ApiKey,
  type ApiName,
  type ApiRegistry,
  type KafkaApi,
  type RequestBody,
  type RequestInput,
  type ResponseBody,
  type ResponseInput,
  type ServedApi,
} from './apis/index.js';
export { declaredVersions, decode, encode, isValidVersion } from './codec.js';
export { ERROR_CODES, errorCode, errorName, type ErrorName } from './error-codes.js';
export { EncodeError, ProtocolError, UnsupportedVersionError, type ProtocolErrorCode } from './errors.js';
export {
  MAX_REQUEST_ELEMENTS,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  requestHeaderVersion,
  responseHeaderVersion,
  type DecodedRequest,
  type RequestHeader,
} from './header.js';
export {
  ZERO_UUID,
  type Encoded,
  type EncodedPart,
  type RecordsValue,
  type RegionRecords,
} from './primitives.js';
export { Reader } from './reader.js';
export { Writer, bytesOf } from './writer.js';
export {
  inVersions,
  isFlexible,
  parseVersions,
  type ApiDefinition,
  type Decoded,
  type Field,
  type Input,
  type MessageSpec,
  type Primitive,
  type VersionRange,
} from './schema.js';
