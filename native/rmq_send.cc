// A SendMessageRequest read in C++ straight into the Kafka record batch
// publish.ts appends: the bytes decode-send.ts, checkMessage and
// encodeMessageBatch make of the same request, without a JavaScript object,
// string or BigInt per message on the way. It takes the plain request only:
// every message to one topic and queue, NORMAL or FIFO, no delivery time,
// every string well-formed UTF-8, no field twice where the decoder would
// keep the last, every check of checkMessage that needs no broker passed.
// Anything else (a delayed or transactional message, a bad tag, a property
// key that is reserved or integer-like, a varint protobufjs would read
// otherwise) it declines, and the caller takes the JavaScript path, which
// gives the same answer or the same error as before. Tests compare the two.
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "batch_layout.h"
#include "crc32.h"
#include "crc32c.h"
#include "decimal.h"
#include "napi_args.h"
#include "rmq_records.h"
#include "send_request.h"
#include "utf8.h"

namespace mqlab {
namespace {

bool Same(const uint8_t* b, Span x, Span y) { return x.len == y.len && std::memcmp(b + x.at, b + y.at, x.len) == 0; }

/** A tag checkMessage takes: not blank by String.trim (a printable ASCII character in it will do) and no "|". */
bool GoodTag(const uint8_t* p, size_t n) {
  bool printable = false;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '|') return false;
    if (p[i] > 0x20 && p[i] < 0x7F) printable = true;
  }
  return printable && Utf8(p, n);
}

/** A user property key checkMessage takes and whose Map order is its place in the request: not empty, not reserved ("rmq."), not all digits (an object puts integer keys first). */
bool GoodPropertyKey(const uint8_t* p, size_t n) {
  if (n == 0 || (n >= 4 && std::memcmp(p, "rmq.", 4) == 0)) return false;
  bool digits = true;
  for (size_t i = 0; i < n && digits; i++) digits = p[i] >= '0' && p[i] <= '9';
  return !digits && Utf8(p, n);
}

/** Java's String.hashCode of well-formed UTF-8 (its UTF-16 code units), sign-extended: tag-code.ts tagCode. */
int64_t JavaHash(const uint8_t* p, size_t n) {
  uint32_t h = 0;
  for (size_t i = 0; i < n;) {
    uint32_t cp = p[i];
    size_t more = cp < 0x80 ? 0 : cp < 0xE0 ? 1 : cp < 0xF0 ? 2 : 3;
    cp = more == 0 ? cp : more == 1 ? cp & 0x1F : more == 2 ? cp & 0x0F : cp & 0x07;
    for (size_t k = 1; k <= more; k++) cp = (cp << 6) | (p[i + k] & 0x3F);
    i += more + 1;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      h = 31 * h + (0xD800 + (cp >> 10));
      h = 31 * h + (0xDC00 + (cp & 0x3FF));
    } else {
      h = 31 * h + cp;
    }
  }
  return static_cast<int32_t>(h);
}

/** Bytes of a zigzag varint of v. */
size_t ZigSize(int64_t v) {
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  size_t n = 1;
  while (u >= 128) {
    u >>= 7;
    n++;
  }
  return n;
}

uint8_t* Zig(uint8_t* o, int64_t v) {
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (u >= 128) {
    *o++ = static_cast<uint8_t>((u & 127) | 128);
    u >>= 7;
  }
  *o++ = static_cast<uint8_t>(u);
  return o;
}

uint8_t* Bytes(uint8_t* o, const uint8_t* p, size_t n) {
  o = Zig(o, static_cast<int64_t>(n));
  if (n > 0) std::memcpy(o, p, n);
  return o + n;
}

void Be(uint8_t* o, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) {
    o[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

// The system headers' keys (message-record.ts).
const char kMsgId[] = "rmq.msg.id";
const char kTag[] = "rmq.tag";
const char kKey[] = "rmq.key";
const char kGroup[] = "rmq.message.group";
const char kBornHost[] = "rmq.born.host";
const char kEncoding[] = "rmq.body.encoding";
const char kTrace[] = "rmq.trace.context";
const char kBodyCrc[] = "rmq.body.crc";
const char kGzip_[] = "GZIP";

template <size_t N>
constexpr size_t Len(const char (&)[N]) { return N - 1; }

/** A header's bytes in a record. */
size_t HeaderSize(size_t key, size_t value) { return ZigSize(static_cast<int64_t>(key)) + key + ZigSize(static_cast<int64_t>(value)) + value; }

template <size_t N>
uint8_t* Header(uint8_t* o, const char (&key)[N], const uint8_t* value, size_t n) {
  o = Bytes(o, reinterpret_cast<const uint8_t*>(key), N - 1);
  return Bytes(o, value, n);
}

/** info's fixed fields, then each message id's start and end in the request. */
constexpr size_t kInfoFixed = 6;

/**
 * rmqEncodeSend(request, nowMs, maxPropertyBytes, info, codes, codesAt,
 * into) → the size of the request's one batch, as publish.ts would append
 * it, written at the start of `into`; minus that size if `into` is
 * smaller (nothing written); or null. info
 * gets the topic's start and end in the request, the queue, MessageType's
 * number, the largest body, the message count, then each message id's
 * start and end; codes from codesAt, each message's tag code.
 */
napi_value EncodeSend(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!Args(env, info, argv)) return Fail(env, "rmqEncodeSend(request, nowMs, maxPropertyBytes, info, codes, codesAt, into)");
  uint8_t* b;
  size_t length;
  if (!BufferArg(env, argv[0], b, length)) return Fail(env, "rmqEncodeSend: request is not a Buffer");
  const double now = NumberArg(env, argv[1]);
  const double maxProps = NumberArg(env, argv[2]);
  double* out;
  size_t outLength;
  if (!Float64Arg(env, argv[3], out, outLength) || outLength < kInfoFixed) return Fail(env, "rmqEncodeSend: info is not a Float64Array of 6 or more");
  napi_typedarray_type codesType;
  size_t codesLength;
  void* codesData;
  napi_value codesBuffer;
  size_t codesOffset;
  if (napi_get_typedarray_info(env, argv[4], &codesType, &codesLength, &codesData, &codesBuffer, &codesOffset) != napi_ok || codesType != napi_bigint64_array) return Fail(env, "rmqEncodeSend: codes is not a BigInt64Array");
  const double codesAt = NumberArg(env, argv[5]);
  if (!(codesAt >= 0 && codesAt <= static_cast<double>(codesLength))) return Fail(env, "rmqEncodeSend: codesAt is outside codes");
  uint8_t* into;
  size_t intoLength;
  if (!BufferArg(env, argv[6], into, intoLength)) return Fail(env, "rmqEncodeSend: into is not a Buffer");
  napi_value none;
  napi_get_null(env, &none);
  if (length > 0x7FFFFFFFu || !(now >= 0 && now <= 253402300799999.0) || !(maxProps >= 0)) return none;

  // One per thread, its vectors' room kept from call to call: a request's messages are not allocated anew each time.
  static thread_local Request r;
  r.messages.clear();
  r.keys.clear();
  r.props.clear();
  const bool read = ReadSendRequest(b, length, r);
  const size_t n = r.messages.size();
  // Room for every message's id span and tag code, else the JavaScript path (a request of thousands of messages).
  if (!read || n == 0 || kInfoFixed + 2 * n > outLength || n > codesLength - static_cast<size_t>(codesAt)) return none;

  const Message& first = r.messages[0];
  if (!Utf8(b + first.topic.at, first.topic.len)) return none;
  const uint32_t declared = first.type == kUnspecified ? (first.hasGroup ? kFifo : kNormal) : first.type;
  // Pass 1: what checkMessage checks, and each record's size.
  size_t size = kBatchHeaderBytes;
  uint32_t maxBody = 0;
  int64_t maxTimestamp = 0;
  const int64_t base = first.hasBorn ? first.bornMs : static_cast<int64_t>(now);
  for (size_t i = 0; i < n; i++) {
    Message& m = r.messages[i];
    if (!m.hasBorn) m.bornMs = static_cast<int64_t>(now);
    const uint32_t implied = m.hasGroup ? kFifo : kNormal;
    if (m.topic.len == 0 || !Same(b, m.topic, first.topic) || m.queueId != first.queueId) return none;
    if ((m.type == kUnspecified ? implied : m.type) != declared || declared != implied) return none;
    if (m.hasTag && !GoodTag(b + m.tag.at, m.tag.len)) return none;
    if (!Utf8(b + m.id.at, m.id.len) || !Utf8(b + m.group.at, m.group.len) || !Utf8(b + m.host.at, m.host.len) || !Utf8(b + m.trace.at, m.trace.len)) return none;
    if (m.body.len > maxBody) maxBody = m.body.len;
    if (m.bornMs > maxTimestamp) maxTimestamp = m.bornMs;
    // publish.ts propertyBytes: the record's key, then each header's key and value and 10 bytes.
    double props = 0;
    size_t body = 1 + ZigSize(m.bornMs - base) + ZigSize(static_cast<int64_t>(i));
    uint32_t headers = m.propsCount + 1;
    if (m.keysCount > 0) {
      const Span k = r.keys[m.keysFrom];
      props += k.len;
      body += ZigSize(k.len) + k.len;
    } else {
      body += 1;
    }
    body += ZigSize(m.body.len) + m.body.len;
    for (uint32_t p = 0; p < m.propsCount; p++) {
      const Span k = r.props[2 * (m.propsFrom + p)], v = r.props[2 * (m.propsFrom + p) + 1];
      if (!GoodPropertyKey(b + k.at, k.len) || !Utf8(b + v.at, v.len)) return none;
      for (uint32_t q = 0; q < p; q++) {
        if (Same(b, k, r.props[2 * (m.propsFrom + q)])) return none;
      }
      props += k.len + v.len + 10;
      body += HeaderSize(k.len, v.len);
    }
    props += Len(kMsgId) + m.id.len + 10;
    body += HeaderSize(Len(kMsgId), m.id.len);
    if (m.hasTag) {
      props += Len(kTag) + m.tag.len + 10;
      body += HeaderSize(Len(kTag), m.tag.len);
      headers++;
    }
    for (uint32_t k = 0; k < m.keysCount; k++) {
      const Span key = r.keys[m.keysFrom + k];
      if (!Utf8(b + key.at, key.len)) return none;
      props += Len(kKey) + key.len + 10;
      body += HeaderSize(Len(kKey), key.len);
    }
    headers += m.keysCount;
    if (m.hasGroup) {
      props += Len(kGroup) + m.group.len + 10;
      body += HeaderSize(Len(kGroup), m.group.len);
      headers++;
    }
    if (m.host.len > 0) {
      props += Len(kBornHost) + m.host.len + 10;
      body += HeaderSize(Len(kBornHost), m.host.len);
      headers++;
    }
    if (m.gzip) {
      props += Len(kEncoding) + Len(kGzip_) + 10;
      body += HeaderSize(Len(kEncoding), Len(kGzip_));
      headers++;
    }
    if (m.hasTrace) {
      props += Len(kTrace) + m.trace.len + 10;
      body += HeaderSize(Len(kTrace), m.trace.len);
      headers++;
    }
    if (props > maxProps) return none;
    // The body's CRC-32, last (toRecord's rmq.body.crc): not a property the producer sent, so not counted against maxProps.
    const uint32_t crc = Crc32(b + m.body.at, m.body.len);
    m.crcLength = DecimalLength(crc);
    WriteDecimal(crc, m.crcDigits, m.crcLength);
    body += HeaderSize(Len(kBodyCrc), m.crcLength);
    headers++;
    body += ZigSize(headers);
    m.recordBody = static_cast<uint32_t>(body);
    m.headerCount = headers;
    size += ZigSize(static_cast<int64_t>(body)) + body;
  }
  if (size > 0x7FFFFFFFu) return none;
  // Too small a buffer: its size, negated, for the caller to bring one that fits (the info above is not yet written).
  napi_value answer;
  if (size > intoLength) {
    napi_create_double(env, -static_cast<double>(size), &answer);
    return answer;
  }

  // Pass 2: the batch (records/batch-header.ts's layout), then the records.
  uint8_t* o = into;
  Be(o + kBaseOffsetAt, 0, 8);
  Be(o + kBatchLengthAt, size - kLogOverheadBytes, 4);
  Be(o + kLeaderEpochAt, 0xFFFFFFFFu, 4);  // none
  o[kMagicAt] = 2;
  Be(o + kAttributesAt, 0, 2);
  Be(o + kLastOffsetDeltaAt, n - 1, 4);
  Be(o + kBaseTimestampAt, static_cast<uint64_t>(base), 8);
  Be(o + kMaxTimestampAt, static_cast<uint64_t>(maxTimestamp), 8);
  Be(o + kProducerIdAt, ~0ull, 8);         // none
  Be(o + kProducerEpochAt, 0xFFFF, 2);     // none
  Be(o + kBaseSequenceAt, 0xFFFFFFFFu, 4); // none
  Be(o + kRecordCountAt, n, 4);
  uint8_t* w = o + kBatchHeaderBytes;
  int64_t* tagCodes = static_cast<int64_t*>(codesData) + static_cast<size_t>(codesAt);
  for (size_t i = 0; i < n; i++) {
    const Message& m = r.messages[i];
    w = Zig(w, m.recordBody);
    *w++ = 0;  // attributes
    w = Zig(w, m.bornMs - base);
    w = Zig(w, static_cast<int64_t>(i));
    if (m.keysCount > 0) {
      const Span k = r.keys[m.keysFrom];
      w = Bytes(w, b + k.at, k.len);
    } else {
      *w++ = 1;  // -1: no key
    }
    w = Bytes(w, b + m.body.at, m.body.len);
    w = Zig(w, m.headerCount);
    for (uint32_t p = 0; p < m.propsCount; p++) {
      const Span k = r.props[2 * (m.propsFrom + p)], v = r.props[2 * (m.propsFrom + p) + 1];
      w = Bytes(w, b + k.at, k.len);
      w = Bytes(w, b + v.at, v.len);
    }
    w = Header(w, kMsgId, b + m.id.at, m.id.len);
    if (m.hasTag) w = Header(w, kTag, b + m.tag.at, m.tag.len);
    for (uint32_t k = 0; k < m.keysCount; k++) w = Header(w, kKey, b + r.keys[m.keysFrom + k].at, r.keys[m.keysFrom + k].len);
    if (m.hasGroup) w = Header(w, kGroup, b + m.group.at, m.group.len);
    if (m.host.len > 0) w = Header(w, kBornHost, b + m.host.at, m.host.len);
    if (m.gzip) w = Header(w, kEncoding, reinterpret_cast<const uint8_t*>(kGzip_), Len(kGzip_));
    if (m.hasTrace) w = Header(w, kTrace, b + m.trace.at, m.trace.len);
    w = Header(w, kBodyCrc, m.crcDigits, m.crcLength);
    // tag-code.ts: Java's hash of the tag, or NO_TAG_CODE.
    tagCodes[i] = m.hasTag ? JavaHash(b + m.tag.at, m.tag.len) : INT64_MIN;
    out[kInfoFixed + 2 * i] = m.id.at;
    out[kInfoFixed + 2 * i + 1] = m.id.at + m.id.len;
  }
  if (static_cast<size_t>(w - o) != size) return Fail(env, "rmqEncodeSend: wrote other than it sized");
  Be(o + kCrcAt, Crc32c(0, o + kAttributesAt, size - kAttributesAt), 4);

  out[0] = first.topic.at;
  out[1] = first.topic.at + first.topic.len;
  out[2] = first.queueId;
  out[3] = declared;
  out[4] = maxBody;
  out[5] = static_cast<double>(n);
  napi_create_double(env, static_cast<double>(size), &answer);
  return answer;
}

}  // namespace

void InitRmqSend(napi_env env, napi_value exports) { Export(env, exports, "rmqEncodeSend", EncodeSend); }

}  // namespace mqlab
