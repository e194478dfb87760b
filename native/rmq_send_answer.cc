// A SendMessageResponse for a request whose messages were all stored at
// consecutive offsets, written in C++: per entry the OK status, the
// message id as the request carried it, and the offset, the bytes
// encode-answers.ts storedAnswer writes for the same answer. A 16-message
// answer took that JavaScript about 2.5 µs, a byte at a time, and it was
// the largest single cost of a batched send in the broker's own code.
#include <node_api.h>

#include <cstdint>
#include <cstring>

#include "napi_args.h"
#include "record_reader.h"
#include "rmq_records.h"

namespace mqlab {
namespace {

size_t VarintBytes(uint64_t v) {
  size_t n = 1;
  while (v > 127) {
    v >>= 7;
    n++;
  }
  return n;
}

size_t PutVarint(uint8_t* b, size_t pos, uint64_t v) {
  while (v > 127) {
    b[pos++] = static_cast<uint8_t>((v & 127) | 128);
    v >>= 7;
  }
  b[pos++] = static_cast<uint8_t>(v);
  return pos;
}

/**
 * rmqStoredAnswer(out, ids, spans, count, base, ok): the answer into
 * `out`; ids[spans[2i], spans[2i+1]) is message i's id, stored at offset
 * base + i; `ok` the encoded OK Status. Returns the bytes written, or minus
 * the bytes needed if `out` is smaller.
 */
napi_value StoredAnswer(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!Args(env, info, argv)) return Fail(env, "rmqStoredAnswer(out, ids, spans, count, base, ok)");
  uint8_t* out;
  size_t outLength;
  uint8_t* ids;
  size_t idsLength;
  double* spans;
  size_t spansLength;
  uint8_t* ok;
  size_t okLength;
  if (!BufferArg(env, argv[0], out, outLength) || !BufferArg(env, argv[1], ids, idsLength) || !BufferArg(env, argv[5], ok, okLength)) return Fail(env, "rmqStoredAnswer: out, ids and ok must be Buffers");
  if (!Float64Arg(env, argv[2], spans, spansLength)) return Fail(env, "rmqStoredAnswer: spans must be a Float64Array");
  const double count = NumberArg(env, argv[3]);
  const double base = NumberArg(env, argv[4]);
  if (!(count >= 0 && count * 2 <= static_cast<double>(spansLength) && base >= 0 && base + count <= kMaxSafe)) return Fail(env, "rmqStoredAnswer: count or base out of range");
  const size_t n = static_cast<size_t>(count);
  const uint64_t first = static_cast<uint64_t>(base);
  const size_t status = 1 + VarintBytes(okLength) + okLength;
  size_t size = status;
  for (size_t i = 0; i < n; i++) {
    const double from = spans[2 * i];
    const double to = spans[2 * i + 1];
    if (!(from >= 0 && from <= to && to <= static_cast<double>(idsLength))) return Fail(env, "rmqStoredAnswer: an id span lies outside ids");
    const size_t idBytes = static_cast<size_t>(to - from);
    const size_t entry = status + 1 + VarintBytes(idBytes) + idBytes + 2 + 1 + VarintBytes(first + i) + 2;
    size += 1 + VarintBytes(entry) + entry;
  }
  if (size > outLength) return Number(env, -static_cast<double>(size));
  size_t pos = 0;
  out[pos++] = 0x0a;  // 1 status
  pos = PutVarint(out, pos, okLength);
  std::memcpy(out + pos, ok, okLength);
  pos += okLength;
  for (size_t i = 0; i < n; i++) {
    const size_t from = static_cast<size_t>(spans[2 * i]);
    const size_t idBytes = static_cast<size_t>(spans[2 * i + 1]) - from;
    const uint64_t offset = first + i;
    out[pos++] = 0x12;  // 2 entries
    pos = PutVarint(out, pos, status + 1 + VarintBytes(idBytes) + idBytes + 2 + 1 + VarintBytes(offset) + 2);
    out[pos++] = 0x0a;  // 1 status
    pos = PutVarint(out, pos, okLength);
    std::memcpy(out + pos, ok, okLength);
    pos += okLength;
    out[pos++] = 0x12;  // 2 message_id
    pos = PutVarint(out, pos, idBytes);
    std::memcpy(out + pos, ids + from, idBytes);
    pos += idBytes;
    out[pos++] = 0x1a;  // 3 transaction_id: ""
    out[pos++] = 0;
    out[pos++] = 0x20;  // 4 offset
    pos = PutVarint(out, pos, offset);
    out[pos++] = 0x2a;  // 5 recall_handle: ""
    out[pos++] = 0;
  }
  return Number(env, static_cast<double>(pos));
}

}  // namespace

void InitRmqSendAnswer(napi_env env, napi_value exports) { Export(env, exports, "rmqStoredAnswer", StoredAnswer); }

}  // namespace mqlab
