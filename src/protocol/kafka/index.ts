// The Kafka wire protocol: primitive types, message declarations (one module
// per API under apis/), one codec that reads and writes any of them, headers,
// and error codes. A request handler needs only:
//
//   const req = decodeRequest(frame);          // throws ProtocolError
//   switch (req.apiKey) {
//     case ApiKeys.Fetch: {
//       // req.body.topics[i].partitions[j].fetchOffset: bigint
//       return encodeResponse(ApiKeys.Fetch, req.apiVersion, req.header.correlationId, {
//         responses: [{ topic, partitionResponses: [{ partition, highWatermark,
//           recordSet: { length: bytes, regions } }] }],
//       });                                      // parts: bytes, regions, bytes…
//     }
//   }
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
  Reader,
  Writer,
  ZERO_UUID,
  bytesOf,
  type Encoded,
  type EncodedPart,
  type RecordsValue,
  type RegionRecords,
} from './primitives.js';
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
