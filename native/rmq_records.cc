// Stored Kafka records to RocketMQ deliveries, in C++: the receive path's
// per-message byte work (reading a record's varints and headers, writing
// the protobuf Message, the body's CRC-32) without a JavaScript object per
// record, header or field. The JavaScript path (records/record.ts,
// message-record.ts fromRecord, encode-received.ts) stays the reference:
// these functions either give its result byte for byte or say that they
// cannot, and the caller takes that path. Tests compare the two.
#include "rmq_records.h"

#include "crc32.h"
#include "crc32c.h"

#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace mqlab {
namespace {

constexpr double kMaxSafe = 9007199254740991.0;

// ---- reading, as records/varint.ts and records/record.ts read (or stricter) ----

struct Cur {
  const uint8_t* b;
  size_t pos;
  size_t end;
};

bool VarInt(Cur& c, int32_t& out) {
  uint32_t u = 0;
  for (int shift = 0; shift < 28; shift += 7) {
    if (c.pos >= c.end) return false;
    const uint8_t x = c.b[c.pos++];
    u |= static_cast<uint32_t>(x & 0x7f) << shift;
    if (x < 0x80) {
      out = static_cast<int32_t>((u >> 1) ^ (0u - (u & 1)));
      return true;
    }
  }
  if (c.pos >= c.end) return false;
  const uint8_t x = c.b[c.pos++];
  if (x > 0x0f) return false;
  u |= static_cast<uint32_t>(x) << 28;
  out = static_cast<int32_t>((u >> 1) ^ (0u - (u & 1)));
  return true;
}

/** A varlong that fits a JavaScript number (readVarLongNumber refuses the others). */
bool VarLongSafe(Cur& c, int64_t& out) {
  uint64_t u = 0;
  for (int i = 0; i < 10; i++) {
    if (c.pos >= c.end) return false;
    const uint8_t x = c.b[c.pos++];
    if (i == 9 && x > 1) return false;
    u |= static_cast<uint64_t>(x & 0x7f) << (7 * i);
    if (x < 0x80) {
      const int64_t v = static_cast<int64_t>((u >> 1) ^ (0ull - (u & 1)));
      if (v > 9007199254740991LL || v < -9007199254740991LL) return false;
      out = v;
      return true;
    }
  }
  return false;
}

struct Span {
  size_t at;
  int32_t length;  // -1: null
};

bool Bytes(Cur& c, Span& s) {
  int32_t n;
  if (!VarInt(c, n)) return false;
  if (n < -1) return false;
  if (n > 0 && static_cast<size_t>(n) > c.end - c.pos) return false;
  s.at = c.pos;
  s.length = n;
  if (n > 0) c.pos += static_cast<size_t>(n);
  return true;
}

constexpr int32_t kRecordBodyMinBytes = 6;
constexpr int32_t kHeaderMinBytes = 2;

struct Record {
  size_t start;
  size_t end;
  int64_t timestampDelta;
  int32_t offsetDelta;
  Span key;
  Span value;
  int32_t headerCount;
  size_t headersAt;
};

/** The record at c.pos, checked as readRecord checks it; moves past it. */
bool ReadRecord(Cur& c, Record& r) {
  r.start = c.pos;
  int32_t bodyBytes;
  if (!VarInt(c, bodyBytes)) return false;
  if (bodyBytes < kRecordBodyMinBytes || static_cast<size_t>(bodyBytes) > c.end - c.pos) return false;
  Cur b{c.b, c.pos + 1, c.pos + static_cast<size_t>(bodyBytes)};  // + 1: attributes
  if (!VarLongSafe(b, r.timestampDelta)) return false;
  if (!VarInt(b, r.offsetDelta)) return false;
  if (!Bytes(b, r.key) || !Bytes(b, r.value)) return false;
  if (!VarInt(b, r.headerCount)) return false;
  if (r.headerCount < 0 || static_cast<int64_t>(r.headerCount) * kHeaderMinBytes > static_cast<int64_t>(b.end - b.pos)) return false;
  r.headersAt = b.pos;
  for (int32_t i = 0; i < r.headerCount; i++) {
    int32_t keyBytes;
    if (!VarInt(b, keyBytes)) return false;
    if (keyBytes < 0 || static_cast<size_t>(keyBytes) > b.end - b.pos) return false;
    b.pos += static_cast<size_t>(keyBytes);
    Span v;
    if (!Bytes(b, v)) return false;
  }
  if (b.pos != b.end) return false;
  c.pos = b.end;
  r.end = b.end;
  return true;
}

// ---- N-API plumbing ----

bool BufferArg(napi_env env, napi_value v, uint8_t*& data, size_t& length) {
  void* d = nullptr;
  if (napi_get_buffer_info(env, v, &d, &length) != napi_ok) return false;
  data = static_cast<uint8_t*>(d);
  return true;
}

bool Float64Arg(napi_env env, napi_value v, double*& data, size_t& length) {
  napi_typedarray_type type;
  void* d = nullptr;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &d, &ab, &offset) != napi_ok || type != napi_float64_array) return false;
  data = static_cast<double*>(d);
  return true;
}

double NumberArg(napi_env env, napi_value v) {
  double d = NAN;
  napi_get_value_double(env, v, &d);
  return d;
}

napi_value Number(napi_env env, double d) {
  napi_value out;
  napi_create_double(env, d, &out);
  return out;
}

napi_value Fail(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return nullptr;
}

constexpr size_t kScanStride = 6;

/**
 * The `count` records of buf[start, end), checked as decodeRecords and
 * checkOffsetDeltas check them, one row of `table` each: record start and
 * end, what `place` makes of the record's offset and timestamp, value start
 * and length (-1: null). False for anything the JavaScript decoder is to
 * judge (or `place` refuses); the table room is the caller's.
 */
template <typename Place>
bool ScanBatchRecords(const uint8_t* buf, size_t start, size_t end, size_t count, double lastOffsetDelta, double* table, Place place) {
  if (static_cast<double>(count) * (kRecordBodyMinBytes + 1) > static_cast<double>(end - start)) return false;
  Cur c{buf, start, end};
  int64_t previous = -1;
  for (size_t i = 0; i < count; i++) {
    Record r;
    if (!ReadRecord(c, r) || r.offsetDelta <= previous || r.offsetDelta > lastOffsetDelta) return false;
    previous = r.offsetDelta;
    double* row = table + i * kScanStride;
    if (!place(r, row[2], row[3])) return false;
    row[0] = static_cast<double>(r.start);
    row[1] = static_cast<double>(r.end);
    row[4] = static_cast<double>(r.value.at);
    row[5] = r.value.length;
  }
  return c.pos == c.end;
}

/**
 * rmqScanRecords(buf, start, end, count, lastOffsetDelta, table): the
 * `count` records of buf[start, end), as decodeRecords and
 * checkOffsetDeltas would accept them. Row i of `table` (Float64Array, 6
 * per record): record start, record end, offsetDelta, timestampDelta,
 * value start, value length (-1: null). Returns count, or -1 where the
 * JavaScript decoder is to say what is wrong.
 */
napi_value ScanRecords(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 6) return Fail(env, "rmqScanRecords(buf, start, end, count, lastOffsetDelta, table)");
  uint8_t* buf;
  size_t bufLength;
  double* table;
  size_t tableLength;
  if (!BufferArg(env, argv[0], buf, bufLength)) return Fail(env, "rmqScanRecords: buf must be a Buffer");
  if (!Float64Arg(env, argv[5], table, tableLength)) return Fail(env, "rmqScanRecords: table must be a Float64Array");
  const double start = NumberArg(env, argv[1]);
  const double end = NumberArg(env, argv[2]);
  const double count = NumberArg(env, argv[3]);
  const double lastOffsetDelta = NumberArg(env, argv[4]);
  if (!(start >= 0 && end >= start && end <= static_cast<double>(bufLength) && count >= 0 && count * kScanStride <= static_cast<double>(tableLength))) {
    return Fail(env, "rmqScanRecords: range or table size out of bounds");
  }
  const size_t n = static_cast<size_t>(count);
  const bool ok = ScanBatchRecords(buf, static_cast<size_t>(start), static_cast<size_t>(end), n, lastOffsetDelta, table, [](const Record& r, double& offset, double& timestamp) {
    offset = r.offsetDelta;
    timestamp = static_cast<double>(r.timestampDelta);
    return true;
  });
  return Number(env, ok ? static_cast<double>(n) : -1);
}

int64_t I64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}

int32_t I32(const uint8_t* p) {
  return static_cast<int32_t>((static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) | (static_cast<uint32_t>(p[2]) << 8) | p[3]);
}

// Record batch v2 (records/batch-header.ts).
constexpr size_t kBatchHeaderBytes = 61;
constexpr size_t kLogOverheadBytes = 12;
constexpr size_t kCrcAt = 17;
constexpr size_t kAttributesAt = 21;
constexpr int64_t kMaxSafeInt = 9007199254740991LL;

/**
 * rmqScanBatches(buf, at, minOffset, table, info): the records of the
 * batches from byte `at` on, as readQueueRecords reads them, for as long
 * as each is plain: magic 2, uncompressed, neither transactional nor a
 * control batch, its CRC right, its records well formed, its offsets and
 * timestamps within 2^53. Batches ending below `minOffset` are passed over
 * unread. Rows of `table` as rmqScanRecords's, but the offset and the
 * timestamp in place of offsetDelta and timestampDelta. `info` gets the
 * byte where it stopped (the end, an incomplete batch, or a batch for the
 * JavaScript path), the rows written, and the offset after and bytes per
 * record of the last batch gone over (-1 and 0: none). Returns the rows.
 */
napi_value ScanBatches(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 5) return Fail(env, "rmqScanBatches(buf, at, minOffset, table, info)");
  uint8_t* buf;
  size_t length;
  double* table;
  size_t tableLength;
  double* out;
  size_t outLength;
  if (!BufferArg(env, argv[0], buf, length)) return Fail(env, "rmqScanBatches: buf must be a Buffer");
  if (!Float64Arg(env, argv[3], table, tableLength) || !Float64Arg(env, argv[4], out, outLength) || outLength < 4) return Fail(env, "rmqScanBatches: table and info must be Float64Arrays (info of 4)");
  const double start = NumberArg(env, argv[1]);
  const double minOffset = NumberArg(env, argv[2]);
  if (!(start >= 0 && start <= static_cast<double>(length)) || !(minOffset >= 0 && minOffset <= kMaxSafe)) return Fail(env, "rmqScanBatches: at or minOffset out of range");
  size_t at = static_cast<size_t>(start);
  size_t rows = 0;
  const size_t maxRows = tableLength / kScanStride;
  double end = -1;
  double bytesPerRecord = 0;
  while (at + kBatchHeaderBytes <= length) {
    const uint8_t* h = buf + at;
    const int64_t baseOffset = I64(h);
    const int32_t batchLength = I32(h + 8);
    if (batchLength < 0) break;
    const size_t size = static_cast<size_t>(batchLength) + kLogOverheadBytes;
    if (at + size > length) break;
    const int16_t attributes = static_cast<int16_t>((h[kAttributesAt] << 8) | h[kAttributesAt + 1]);
    if ((attributes & 0x30) != 0) break;  // transactional or control: the committed filter's
    const int32_t lastOffsetDelta = I32(h + 23);
    if (baseOffset < 0 || baseOffset > kMaxSafeInt || lastOffsetDelta < 0 || baseOffset + lastOffsetDelta >= kMaxSafeInt) break;
    const int64_t last = baseOffset + lastOffsetDelta;
    if (static_cast<double>(last) >= minOffset) {
      const int32_t count = I32(h + 57);
      if (h[16] != 2 || size < kBatchHeaderBytes || (attributes & 0x07) != 0 || count < 0) break;
      if (rows + static_cast<size_t>(count) > maxRows) break;
      const uint32_t crc = (static_cast<uint32_t>(h[kCrcAt]) << 24) | (static_cast<uint32_t>(h[kCrcAt + 1]) << 16) | (static_cast<uint32_t>(h[kCrcAt + 2]) << 8) | h[kCrcAt + 3];
      if (Crc32c(0, h + kAttributesAt, size - kAttributesAt) != crc) break;
      const bool appendTime = (attributes & 0x08) != 0;
      const int64_t baseTimestamp = I64(h + 27);
      const int64_t maxTimestamp = I64(h + 35);
      const bool ok = ScanBatchRecords(buf, at + kBatchHeaderBytes, at + size, static_cast<size_t>(count), lastOffsetDelta, table + rows * kScanStride,
                                       [&](const Record& r, double& offset, double& timestamp) {
                                         // Checked before the sum: a producer's base timestamp may be any int64.
                                         if (baseTimestamp > kMaxSafeInt || baseTimestamp < -kMaxSafeInt) return false;
                                         const int64_t t = appendTime ? maxTimestamp : baseTimestamp + r.timestampDelta;
                                         if (t > kMaxSafeInt || t < -kMaxSafeInt) return false;
                                         offset = static_cast<double>(baseOffset + r.offsetDelta);
                                         timestamp = static_cast<double>(t);
                                         return true;
                                       });
      if (!ok) break;
      rows += static_cast<size_t>(count);
    }
    end = static_cast<double>(last + 1);
    const double perRecord = std::round(static_cast<double>(size) / (lastOffsetDelta + 1.0));
    bytesPerRecord = perRecord < 1 ? 1 : perRecord;
    at += size;
  }
  out[0] = static_cast<double>(at);
  out[1] = static_cast<double>(rows);
  out[2] = end;
  out[3] = bytesPerRecord;
  return Number(env, static_cast<double>(rows));
}

// ---- writing a delivery, as encode-received.ts writes it ----

/** Well-formed UTF-8 (what Buffer.toString then a UTF-8 write gives back unchanged). */
bool Utf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    // ASCII, eight bytes a step (ids, hosts and tags mostly are).
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    const uint8_t c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t more;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i - 1 < more) return false;
    for (size_t k = 1; k <= more; k++) {
      const uint8_t x = p[i + k];
      if ((x & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (x & 0x3F);
    }
    if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += more + 1;
  }
  return true;
}

struct Writer {
  uint8_t* b;
  size_t pos;
  size_t cap;
  bool over = false;

  bool Room(size_t n) {
    if (pos + n <= cap) return true;
    over = true;
    return false;
  }
  void VarU(uint64_t v) {
    if (!Room(10)) return;
    while (v > 127) {
      b[pos++] = static_cast<uint8_t>((v & 127) | 128);
      v >>= 7;
    }
    b[pos++] = static_cast<uint8_t>(v);
  }
  void Tag(int field, int wire) { VarU(static_cast<uint64_t>(field) * 8 + wire); }
  /** An int64 field (negative: ten bytes, two's complement). */
  void Int(int field, int64_t v) {
    Tag(field, 0);
    VarU(static_cast<uint64_t>(v));
  }
  void Raw(const uint8_t* p, size_t n) {
    if (n == 0 || !Room(n)) return;
    std::memcpy(b + pos, p, n);
    pos += n;
  }
  void Str(int field, const uint8_t* p, size_t n) {
    Tag(field, 2);
    VarU(n);
    Raw(p, n);
  }
  size_t Begin(int field) {
    Tag(field, 2);
    return pos;
  }
  /** Puts the length of what was written since `at` (and `tail` bytes to come) in front of it. */
  void End(size_t at, size_t tail = 0) {
    if (over) return;
    const uint64_t length = (pos - at) + tail;
    size_t lengthBytes = 1;
    for (uint64_t x = length; x > 127; x >>= 7) lengthBytes++;
    if (!Room(lengthBytes)) return;
    std::memmove(b + at + lengthBytes, b + at, pos - at);
    const size_t end = pos + lengthBytes;
    pos = at;
    VarU(length);
    pos = end;
  }
  void Digits(uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0);
    if (!Room(static_cast<size_t>(n))) return;
    while (n > 0) b[pos++] = static_cast<uint8_t>(tmp[--n]);
  }
  /** google.protobuf.Timestamp or Duration of `ms` (seconds floored, nanos not negative). */
  void Time(int field, int64_t ms) {
    int64_t seconds = ms / 1000;
    if (ms % 1000 != 0 && ms < 0) seconds--;
    const int64_t nanos = (ms - seconds * 1000) * 1000000;
    const size_t at = Begin(field);
    if (seconds != 0) Int(1, seconds);
    if (nanos != 0) Int(2, nanos);
    End(at);
  }
};

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
};

enum Outcome { kWritten, kUnsupported };

/**
 * One ReceiveMessageResponse { message } with gRPC's 5-byte prefix, as
 * encode-received.ts writeMessage and fromRecord make it; kUnsupported for
 * what only the JavaScript path does (a derived message id, strings that
 * are not UTF-8, repeated user properties, numbers past 2^53).
 */
Outcome WriteDelivery(Writer& w, const Delivery& d, const uint8_t* topicField, size_t topicLength, const uint8_t* storeField, size_t storeLength,
                      const uint8_t* token, size_t tokenLength, double partition, double invisibleMs) {
  Cur c{d.src, d.start, d.end};
  Record r;
  if (!ReadRecord(c, r) || r.end != d.end) return kUnsupported;
  Field messageId, tag, group, deliveryTs, bornHost, trace;
  bool gzip = false;
  Slice keys[kMaxKeys];
  int keyCount = 0;
  Slice props[kMaxProperties][2];
  int propCount = 0;
  int64_t deliveryMs = 0;
  Cur h{d.src, r.headersAt, r.end};
  for (int32_t i = 0; i < r.headerCount; i++) {
    int32_t keyBytes;
    VarInt(h, keyBytes);
    const uint8_t* key = d.src + h.pos;
    const size_t keyLength = static_cast<size_t>(keyBytes);
    h.pos += keyLength;
    Span v;
    Bytes(h, v);
    if (!Utf8(key, keyLength)) return kUnsupported;
    if (v.length < 0) continue;  // fromRecord passes over a null value
    const uint8_t* value = d.src + v.at;
    const size_t valueLength = static_cast<size_t>(v.length);
    if (!Utf8(value, valueLength)) return kUnsupported;
    const Field f{value, valueLength, true};
    if (Is(key, keyLength, "rmq.msg.id")) messageId = f;
    else if (Is(key, keyLength, "rmq.tag")) tag = f;
    else if (Is(key, keyLength, "rmq.key")) {
      if (keyCount == kMaxKeys) return kUnsupported;
      keys[keyCount++] = Slice{value, valueLength};
    } else if (Is(key, keyLength, "rmq.message.group")) group = f;
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
    } else if (Is(key, keyLength, "rmq.born.host")) bornHost = f;
    else if (Is(key, keyLength, "rmq.body.encoding")) {
      if (Is(value, valueLength, "GZIP")) gzip = true;
    } else if (Is(key, keyLength, "rmq.trace.context")) trace = f;
    else if (keyLength >= 4 && std::memcmp(key, "rmq.", 4) == 0) continue;
    else {
      // A Map keeps a repeated key at its first place with its last value: rare, left to the JavaScript path.
      for (int k = 0; k < propCount; k++) {
        if (props[k][0].n == keyLength && std::memcmp(props[k][0].p, key, keyLength) == 0) return kUnsupported;
      }
      if (propCount == kMaxProperties) return kUnsupported;
      props[propCount][0] = Slice{key, keyLength};
      props[propCount][1] = Slice{value, valueLength};
      propCount++;
    }
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
  w.Digits(Crc32(body, bodyLength));
  w.End(crcAt);
  w.End(digest);
  w.Int(5, gzip ? 2 : 1);
  w.Int(6, group.set ? 2 : deliveryTs.set ? 3 : 1);
  w.Time(7, static_cast<int64_t>(d.timestampMs));
  w.Str(8, bornHost.p, bornHost.n);
  w.Raw(storeField, storeLength);
  if (deliveryTs.set) w.Time(11, deliveryMs);
  const size_t handle = w.Begin(12);
  w.Raw(reinterpret_cast<const uint8_t*>("1."), 2);
  w.Digits(static_cast<uint64_t>(partition));
  w.Raw(reinterpret_cast<const uint8_t*>("."), 1);
  w.Digits(static_cast<uint64_t>(d.offset));
  w.Raw(reinterpret_cast<const uint8_t*>("."), 1);
  w.Raw(token, tokenLength);
  w.End(handle);
  w.Int(13, static_cast<int64_t>(partition));
  w.Int(14, static_cast<int64_t>(d.offset));
  w.Time(15, static_cast<int64_t>(invisibleMs));
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

constexpr size_t kDeliveryStride = 6;

/**
 * rmqEncodeDeliveries(out, sources, table, count, fixed, topicLength,
 * storeLength, partition, invisibleMs): the deliveries of one receive into
 * `out`. Row i of `table` (6 per delivery): index into `sources` (the
 * Buffers read from the log), record start, record end, offset, attempt,
 * timestamp ms. `fixed`: the encoded topic field, the encoded store host
 * field and the receipt handles' token, back to back. Returns the bytes
 * written; -1 if `out` is too small; -2 - i if delivery i is for the
 * JavaScript path.
 */
napi_value EncodeDeliveries(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 9) return Fail(env, "rmqEncodeDeliveries(out, sources, table, count, fixed, topicLength, storeLength, partition, invisibleMs)");
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
        topicLength + storeLength <= static_cast<double>(fixedLength) && partition >= 0 && partition <= 2147483647 && invisibleMs >= 0 && invisibleMs <= kMaxSafe)) {
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
    const Delivery d{sources[si], static_cast<size_t>(row[1]), static_cast<size_t>(row[2]), row[3], row[4], row[5]};
    if (WriteDelivery(w, d, fixed, tl, fixed + tl, sl, fixed + tl + sl, fixedLength - tl - sl, partition, invisibleMs) == kUnsupported) {
      return Number(env, -2 - static_cast<double>(i));
    }
    if (w.over) return Number(env, -1);
  }
  return Number(env, static_cast<double>(w.pos));
}

}  // namespace

void InitRmqRecords(napi_env env, napi_value exports) {
  napi_value f;
  napi_create_function(env, "rmqScanRecords", NAPI_AUTO_LENGTH, ScanRecords, nullptr, &f);
  napi_set_named_property(env, exports, "rmqScanRecords", f);
  napi_create_function(env, "rmqScanBatches", NAPI_AUTO_LENGTH, ScanBatches, nullptr, &f);
  napi_set_named_property(env, exports, "rmqScanBatches", f);
  napi_create_function(env, "rmqEncodeDeliveries", NAPI_AUTO_LENGTH, EncodeDeliveries, nullptr, &f);
  napi_set_named_property(env, exports, "rmqEncodeDeliveries", f);
}

}  // namespace mqlab
