// A SendMessageRequest's messages as spans of its bytes (send_request.cc
// reads them; rmq_send.cc checks and writes them): what decode-send.ts
// would make of them, for the requests it takes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mqlab {

struct Span {
  uint32_t at = 0;
  uint32_t len = 0;
};

/** MessageType's numbers (definition.proto). */
constexpr uint32_t kUnspecified = 0, kNormal = 1, kFifo = 2, kDelay = 3;

struct Message {
  Span topic, body, id, tag, group, host, trace;
  bool hasTopic = false, hasBody = false, hasSystem = false, hasId = false, hasTag = false, hasGroup = false, hasHost = false, hasTrace = false;
  bool hasEncoding = false, hasType = false, hasBorn = false, hasQueue = false;
  bool gzip = false;
  uint32_t type = kUnspecified;
  int64_t bornMs = 0;
  uint32_t queueId = 0;
  /** Into the request's keys (empty ones dropped, as decode-send.ts does) and user properties. */
  uint32_t keysFrom = 0, keysCount = 0, propsFrom = 0, propsCount = 0;
  /** Filled in by rmq_send.cc as it sizes the batch: the body's CRC-32 as decimal digits (rmq.body.crc) among them. */
  uint32_t recordBody = 0, headerCount = 0;
  uint8_t crcDigits[10] = {};
  uint32_t crcLength = 0;
};

struct Request {
  std::vector<Message> messages;
  std::vector<Span> keys;
  std::vector<Span> props;  // key, value, key, value, …
};

/**
 * The messages of a SendMessageRequest into `r`; false where decode-send.ts
 * is to read it (a field it does not know, a wire type not the field's, a
 * length past its message, a varint protobufjs reads otherwise, a field
 * twice where the decoder keeps the last, a delivery time, a type past
 * DELAY, a born time no Timestamp holds, a negative queue).
 */
bool ReadSendRequest(const uint8_t* b, size_t length, Request& r);

}  // namespace mqlab
