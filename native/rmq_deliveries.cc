// A receive's deliveries written in C++ from its stored records' bytes: the
// ReceiveMessageResponse encode-received.ts writes (the Message, its system
// properties, the receipt handle, the body's CRC-32 digest), byte for byte,
// without a JavaScript object per record, header or field. What only the
// JavaScript path does (a derived message id, strings that are not UTF-8,
// a repeated user property, numbers past 2^53) it declines, and the caller
// takes that path. Tests compare the two.
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "crc32.h"
#include "napi_args.h"
#include "proto_writer.h"
#include "record_reader.h"
#include "rmq_records.h"
#include "utf8.h"

namespace mqlab {
namespace {

bool Is(const uint8_t* p, size_t n, const char* s) {
  const size_t m = std::strlen(s);
  return n == m && std::memcmp(p, s, m) == 0;
}

struct Field {
  const uint8_t* p = nullptr;
  size_t n = 0;
  bool set = false;
};

/** Left uninitialised in the arrays below: only the first `count` are read. */
struct Slice {
  const uint8_t* p;
  size_t n;
};

constexpr int kMaxKeys = 64;
constexpr int kMaxProperties = 128;

struct Delivery {
  const uint8_t* src;
  size_t start;
  size_t end;
  double offset;
  double attempt;
  double timestampMs;
  // As the scan found them (rmq_scan.cc), which checked the record as ReadRecord does.
  double valueAt;
  double valueLength;
  double headersAt;
  double headerCount;
};

/**
 * The record's value and headers as the scan found them (not read again:
 * that pass was about 660 instructions a delivery), checked to lie within
 * the record; false sends the delivery to the JavaScript path.
 */
bool RecordOf(const Delivery& d, Record& r) {
  const double start = static_cast<double>(d.start);
  const double end = static_cast<double>(d.end);
  if (!(d.headersAt > start && d.headersAt <= end && d.headerCount >= 0 && d.headerCount <= end - start)) return false;
  if (!(d.valueLength >= -1 && d.valueAt > start && d.valueAt + (d.valueLength > 0 ? d.valueLength : 0) <= d.headersAt)) return false;
  r.start = d.start;
  r.end = d.end;
  r.value = Span{static_cast<size_t>(d.valueAt), static_cast<int32_t>(d.valueLength)};
  r.headersAt = static_cast<size_t>(d.headersAt);
  r.headerCount = static_cast<int32_t>(d.headerCount);
  return true;
}

enum Outcome { kWritten, kUnsupported };

/** A CRC-32's decimal digits as bodyCrcText writes them (message-record.ts isBodyCrcText): 1 to 10, no leading zero, at most 2^32 - 1. */
bool CrcDigits(const uint8_t* p, size_t n) {
  if (n == 0 || n > 10 || (n > 1 && p[0] == '0')) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (p[i] - '0');
  }
  return v <= 0xFFFFFFFFull;
}

/**
 * One ReceiveMessageResponse { message } with gRPC's 5-byte prefix, as
 * encode-received.ts writeMessage and fromRecord make it; kUnsupported for
 * what only the JavaScript path does (a derived message id, strings that
 * are not UTF-8, repeated user properties, numbers past 2^53).
 */
Outcome WriteDelivery(Writer& w, const Delivery& d, const uint8_t* topicField, size_t topicLength, const uint8_t* storeField, size_t storeLength,
                      const uint8_t* token, size_t tokenLength, double partition, double invisibleMs) {
  Record r;
  if (!RecordOf(d, r)) return kUnsupported;
  Field messageId, tag, group, deliveryTs, bornHost, trace, bodyCrc;
  bool gzip = false;
  Slice keys[kMaxKeys];
  int keyCount = 0;
  Slice props[kMaxProperties][2];
  int propCount = 0;
  int64_t deliveryMs = 0;
  Cur h{d.src, r.headersAt, r.end};
  for (int32_t i = 0; i < r.headerCount; i++) {
    int32_t keyBytes;
    if (!VarInt(h, keyBytes) || keyBytes < 0 || static_cast<size_t>(keyBytes) > h.end - h.pos) return kUnsupported;
    const uint8_t* key = d.src + h.pos;
    const size_t keyLength = static_cast<size_t>(keyBytes);
    h.pos += keyLength;
    Span v;
    if (!Bytes(h, v)) return kUnsupported;
    if (v.length < 0) {
      if (!Utf8(key, keyLength)) return kUnsupported;
      continue;  // fromRecord passes over a null value
    }
    const uint8_t* value = d.src + v.at;
    const size_t valueLength = static_cast<size_t>(v.length);
    const Field f{value, valueLength, true};
    // RocketMQ's own headers, by ASCII names compared byte for byte: neither the name nor a value answered as
    // anything but a string (digits, "GZIP", one passed over) is checked as UTF-8 (fromRecord reads those alike
    // whatever else they hold), which was most of the headers' cost.
    if (keyLength >= 4 && std::memcmp(key, "rmq.", 4) == 0) {
      Field* text = Is(key, keyLength, "rmq.msg.id")          ? &messageId
                    : Is(key, keyLength, "rmq.born.host")     ? &bornHost
                    : Is(key, keyLength, "rmq.tag")           ? &tag
                    : Is(key, keyLength, "rmq.message.group") ? &group
                    : Is(key, keyLength, "rmq.trace.context") ? &trace
                                                              : nullptr;
      const bool isKey = text == nullptr && Is(key, keyLength, "rmq.key");
      if ((text != nullptr || isKey) && !Utf8(value, valueLength)) return kUnsupported;
      if (text != nullptr) *text = f;
      else if (isKey) {
        if (keyCount == kMaxKeys) return kUnsupported;
        keys[keyCount++] = Slice{value, valueLength};
      } else if (Is(key, keyLength, "rmq.body.crc")) bodyCrc = CrcDigits(value, valueLength) ? f : Field{};
      else if (Is(key, keyLength, "rmq.delivery.ts")) {
        // /^\d+$/ then BigInt: a later value that is not digits leaves the one before.
        bool digits = valueLength > 0;
        for (size_t k = 0; k < valueLength && digits; k++) digits = value[k] >= '0' && value[k] <= '9';
        if (!digits) continue;
        size_t first = 0;
        while (first + 1 < valueLength && value[first] == '0') first++;
        if (valueLength - first > 15) return kUnsupported;
        int64_t ms = 0;
        for (size_t k = first; k < valueLength; k++) ms = ms * 10 + (value[k] - '0');
        deliveryMs = ms;
        deliveryTs = f;
      } else if (Is(key, keyLength, "rmq.body.encoding") && Is(value, valueLength, "GZIP")) gzip = true;
      continue;
    }
    if (!Utf8(key, keyLength) || !Utf8(value, valueLength)) return kUnsupported;
    // A Map keeps a repeated key at its first place with its last value: rare, left to the JavaScript path.
    for (int k = 0; k < propCount; k++) {
      if (props[k][0].n == keyLength && std::memcmp(props[k][0].p, key, keyLength) == 0) return kUnsupported;
    }
    if (propCount == kMaxProperties) return kUnsupported;
    props[propCount][0] = Slice{key, keyLength};
    props[propCount][1] = Slice{value, valueLength};
    propCount++;
  }
  // No id of its own (a Kafka producer's record): derived by hashing, in JavaScript.
  if (!messageId.set || messageId.n == 0) return kUnsupported;
  if (!(d.offset >= 0 && d.offset <= kMaxSafe) || !(std::fabs(d.timestampMs) <= kMaxSafe)) return kUnsupported;

  const uint8_t* body = r.value.length > 0 ? d.src + r.value.at : nullptr;
  const size_t bodyLength = r.value.length > 0 ? static_cast<size_t>(r.value.length) : 0;
  const size_t prefix = w.pos;
  if (!w.Room(5)) return kWritten;
  std::memset(w.b + w.pos, 0, 5);
  w.pos += 5;
  const size_t message = w.Begin(2);
  w.Raw(topicField, topicLength);
  for (int k = 0; k < propCount; k++) {
    const size_t entry = w.Begin(2);
    w.Str(1, props[k][0].p, props[k][0].n);
    w.Str(2, props[k][1].p, props[k][1].n);
    w.End(entry);
  }
  const size_t sp = w.Begin(3);
  if (tag.set) w.Str(1, tag.p, tag.n);
  for (int k = 0; k < keyCount; k++) w.Str(2, keys[k].p, keys[k].n);
  w.Str(3, messageId.p, messageId.n);
  const size_t digest = w.Begin(4);
  w.Int(1, 1);  // CRC32
  const size_t crcAt = w.Begin(2);
  // As stored with the message (message-record.ts H_BODY_CRC), else computed.
  if (bodyCrc.set) w.Raw(bodyCrc.p, bodyCrc.n);
  else w.Digits(Crc32(body, bodyLength));
  w.End(crcAt);
  w.End(digest);
  w.Int(5, gzip ? 2 : 1);
  w.Int(6, group.set ? 2 : deliveryTs.set ? 3 : 1);
  w.Time(7, static_cast<int64_t>(d.timestampMs));
  w.Str(8, bornHost.p, bornHost.n);
  w.Raw(storeField, storeLength);
  if (deliveryTs.set) w.Time(11, deliveryMs);
  // A pull (invisibleMs < 0) takes nothing: no receipt handle, no invisible duration.
  const bool popped = invisibleMs >= 0;
  if (popped) {
    const size_t handle = w.Begin(12);
    w.Raw(reinterpret_cast<const uint8_t*>("1."), 2);
    w.Digits(static_cast<uint64_t>(partition));
    w.Raw(reinterpret_cast<const uint8_t*>("."), 1);
    w.Digits(static_cast<uint64_t>(d.offset));
    w.Raw(reinterpret_cast<const uint8_t*>("."), 1);
    w.Raw(token, tokenLength);
    w.End(handle);
  }
  w.Int(13, static_cast<int64_t>(partition));
  w.Int(14, static_cast<int64_t>(d.offset));
  if (popped) w.Time(15, static_cast<int64_t>(invisibleMs));
  w.Int(16, static_cast<int64_t>(d.attempt));
  if (group.set) w.Str(17, group.p, group.n);
  if (trace.set) w.Str(18, trace.p, trace.n);
  w.End(sp);
  w.Tag(4, 2);
  w.VarU(bodyLength);
  w.End(message, bodyLength);
  w.Raw(body, bodyLength);
  if (w.over) return kWritten;
  const uint32_t length = static_cast<uint32_t>(w.pos - prefix - 5);
  w.b[prefix + 1] = static_cast<uint8_t>(length >> 24);
  w.b[prefix + 2] = static_cast<uint8_t>(length >> 16);
  w.b[prefix + 3] = static_cast<uint8_t>(length >> 8);
  w.b[prefix + 4] = static_cast<uint8_t>(length);
  return kWritten;
}

constexpr size_t kDeliveryStride = 10;

/**
 * rmqEncodeDeliveries(out, sources, table, count, fixed, topicLength,
 * storeLength, partition, invisibleMs): the deliveries of one receive into
 * `out` (invisibleMs -1: a pull's messages, which carry no receipt handle
 * and no invisible duration, PullMessageResponse { message } being framed
 * as ReceiveMessageResponse's, field 2). Row i of `table` (10 per delivery): index into `sources` (the
 * Buffers read from the log), record start, record end, offset, attempt,
 * timestamp ms, value start and length, headers' start and count, as
 * the scan found them (rmq_scan.cc). `fixed`: the encoded topic field, the encoded store host
 * field and the receipt handles' token, back to back. Returns the bytes
 * written; -1 if `out` is too small; -2 - i if delivery i is for the
 * JavaScript path.
 */
napi_value EncodeDeliveries(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!Args(env, info, argv)) return Fail(env, "rmqEncodeDeliveries(out, sources, table, count, fixed, topicLength, storeLength, partition, invisibleMs)");
  uint8_t* out;
  size_t outLength;
  double* table;
  size_t tableLength;
  uint8_t* fixed;
  size_t fixedLength;
  if (!BufferArg(env, argv[0], out, outLength)) return Fail(env, "rmqEncodeDeliveries: out must be a Buffer");
  if (!Float64Arg(env, argv[2], table, tableLength)) return Fail(env, "rmqEncodeDeliveries: table must be a Float64Array");
  if (!BufferArg(env, argv[4], fixed, fixedLength)) return Fail(env, "rmqEncodeDeliveries: fixed must be a Buffer");
  const double count = NumberArg(env, argv[3]);
  const double topicLength = NumberArg(env, argv[5]);
  const double storeLength = NumberArg(env, argv[6]);
  const double partition = NumberArg(env, argv[7]);
  const double invisibleMs = NumberArg(env, argv[8]);
  uint32_t sourceCount = 0;
  if (napi_get_array_length(env, argv[1], &sourceCount) != napi_ok) return Fail(env, "rmqEncodeDeliveries: sources must be an array");
  if (!(count >= 0 && count * kDeliveryStride <= static_cast<double>(tableLength) && topicLength >= 0 && storeLength >= 0 &&
        topicLength + storeLength <= static_cast<double>(fixedLength) && partition >= 0 && partition <= 2147483647 && (invisibleMs >= 0 || invisibleMs == -1) && invisibleMs <= kMaxSafe)) {
    return Fail(env, "rmqEncodeDeliveries: arguments out of bounds");
  }
  constexpr uint32_t kMaxSources = 64;
  if (sourceCount > kMaxSources) return Fail(env, "rmqEncodeDeliveries: at most 64 sources");
  uint8_t* sources[kMaxSources];
  size_t sourceLengths[kMaxSources];
  for (uint32_t i = 0; i < sourceCount; i++) {
    napi_value s;
    napi_get_element(env, argv[1], i, &s);
    if (!BufferArg(env, s, sources[i], sourceLengths[i])) return Fail(env, "rmqEncodeDeliveries: sources must be Buffers");
  }
  const size_t tl = static_cast<size_t>(topicLength);
  const size_t sl = static_cast<size_t>(storeLength);
  Writer w{out, 0, outLength};
  const size_t n = static_cast<size_t>(count);
  for (size_t i = 0; i < n; i++) {
    const double* row = table + i * kDeliveryStride;
    const double source = row[0];
    if (!(source >= 0 && source < sourceCount)) return Fail(env, "rmqEncodeDeliveries: source index out of range");
    const size_t si = static_cast<size_t>(source);
    if (!(row[1] >= 0 && row[2] >= row[1] && row[2] <= static_cast<double>(sourceLengths[si]))) return Fail(env, "rmqEncodeDeliveries: record span out of its source");
    const Delivery d{sources[si], static_cast<size_t>(row[1]), static_cast<size_t>(row[2]), row[3], row[4], row[5], row[6], row[7], row[8], row[9]};
    if (WriteDelivery(w, d, fixed, tl, fixed + tl, sl, fixed + tl + sl, fixedLength - tl - sl, partition, invisibleMs) == kUnsupported) {
      return Number(env, -2 - static_cast<double>(i));
    }
    if (w.over) return Number(env, -1);
  }
  return Number(env, static_cast<double>(w.pos));
}
}  // namespace

void InitRmqDeliveries(napi_env env, napi_value exports) {
  Export(env, exports, "rmqEncodeDeliveries", EncodeDeliveries);
}

}  // namespace mqlab
