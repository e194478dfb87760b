// A SendMessageResponse for a request whose messages were all stored at
// consecutive offsets, written in C++: per entry the OK status, the
// message id as the request carried it, and the offset: the bytes
// proto-loader writes for the same answer. A 16-message answer took the
// JavaScript that wrote it before about 2.5 µs, a byte at a time, the
// largest single cost of a batched send in the broker's own code.
#include <node_api.h>

#include <cstdint>

#include "napi_args.h"
#include "proto_writer.h"
#include "record_reader.h"
#include "rmq_records.h"

namespace mqlab {
namespace {

/**
 * rmqStoredAnswer(out, ids, spans, count, base, ok): the answer into
 * `out`; ids[spans[2i], spans[2i+1]) is message i's id, stored at offset
 * base + i; `ok` the encoded OK Status. Returns the bytes written, or -1
 * if `out` is too small.
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
  Writer w{out, 0, outLength};
  w.Str(1, ok, okLength);  // status
  for (size_t i = 0; i < n; i++) {
    const double from = spans[2 * i];
    const double to = spans[2 * i + 1];
    if (!(from >= 0 && from <= to && to <= static_cast<double>(idsLength))) return Fail(env, "rmqStoredAnswer: an id span lies outside ids");
    const size_t entry = w.Begin(2);
    w.Str(1, ok, okLength);  // status
    w.Str(2, ids + static_cast<size_t>(from), static_cast<size_t>(to - from));  // message_id
    w.Str(3, nullptr, 0);  // transaction_id: ""
    w.Int(4, static_cast<int64_t>(first + i));  // offset
    w.Str(5, nullptr, 0);  // recall_handle: ""
    w.End(entry);
  }
  if (w.over) return Number(env, -1);
  return Number(env, static_cast<double>(w.pos));
}

}  // namespace

void InitRmqSendAnswer(napi_env env, napi_value exports) { Export(env, exports, "rmqStoredAnswer", StoredAnswer); }

}  // namespace mqlab
