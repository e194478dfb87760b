// SendMessageRequest read into spans of its bytes (send_request.h): the
// protobuf reading of rmq_send.cc, as strict as decode-send.ts or more.
#include "send_request.h"

#include <cstring>

namespace mqlab {
namespace {

/** Encoding.GZIP. */
constexpr uint32_t kGzip = 2;
/** The last second a google.protobuf.Timestamp holds (9999-12-31T23:59:59Z). */
constexpr uint64_t kMaxSeconds = 253402300799ull;

/** Protobuf reading; any surprise clears `ok`, and what follows reads nothing. */
struct In {
  const uint8_t* b;
  size_t pos;
  bool ok = true;

  // Read through locals, written back once: `pos` kept in memory was
  // stored at every byte (the reads go through a uint8_t pointer, which may
  // alias it), and a request's varints are most of what reading it costs.
  uint64_t Var(size_t end) {
    if (!ok) return 0;
    const uint8_t* p = b;
    size_t i = pos;
    // Most of them (field tags, short lengths, small numbers) are one byte.
    if (i < end && p[i] < 128) {
      pos = i + 1;
      return p[i];
    }
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (i >= end) return Fail();
      const uint8_t c = p[i++];
      if (shift == 63 && c > 1) return Fail();
      v |= static_cast<uint64_t>(c & 127) << shift;
      if (c < 128) {
        pos = i;
        return v;
      }
    }
    return Fail();
  }
  /** A varint protobufjs's uint32 reads as it is: five bytes at most, below 2^32. */
  uint32_t U32(size_t end) {
    const size_t from = pos;
    const uint64_t v = Var(end);
    if (pos - from > 5 || v > 0xFFFFFFFFull) return static_cast<uint32_t>(Fail());
    return static_cast<uint32_t>(v);
  }
  size_t LengthEnd(size_t end) {
    const uint32_t n = U32(end);
    if (!ok || n > end - pos) {
      Fail();
      return pos;
    }
    return pos + n;
  }
  Span Bytes(size_t end) {
    const size_t to = LengthEnd(end);
    Span s{static_cast<uint32_t>(pos), static_cast<uint32_t>(to - pos)};
    pos = to;
    return s;
  }
  void Skip(size_t end) { pos = LengthEnd(end); }
  uint64_t Fail() {
    ok = false;
    return 0;
  }
};

/** A google.protobuf.Timestamp or Duration, read as decode-send.ts's readTime checks it; the born time's milliseconds into `ms`. */
void Time(In& in, size_t outerEnd, int64_t* ms) {
  const size_t end = in.LengthEnd(outerEnd);
  uint64_t seconds = 0;
  uint32_t nanos = 0;
  bool hasSeconds = false, hasNanos = false;
  while (in.ok && in.pos < end) {
    const uint32_t tag = in.U32(end);
    if (tag == 8 && !(ms && hasSeconds)) {
      seconds = in.Var(end);
      hasSeconds = true;
    } else if (tag == 16 && !(ms && hasNanos)) {
      nanos = in.U32(end);
      hasNanos = true;
    } else {
      in.Fail();
    }
  }
  if (!ms) return;
  // Seconds a Timestamp holds, nanos below a second: seconds × 1,000 + nanos ÷ 10^6, as timeMs() makes them, within checkMessage's range.
  if (seconds > kMaxSeconds || nanos > 999999999u) in.Fail();
  *ms = static_cast<int64_t>(seconds) * 1000 + nanos / 1000000;
}

void System(In& in, size_t outerEnd, Message& m, Request& r) {
  const size_t end = in.LengthEnd(outerEnd);
  m.keysFrom = static_cast<uint32_t>(r.keys.size());
  // A field the decoder keeps the last of, twice: left to it.
  auto once = [&in](bool& seen) {
    if (seen) in.Fail();
    seen = true;
  };
  while (in.ok && in.pos < end) {
    const uint32_t tag = in.U32(end);
    switch (tag) {
      case 10:  // 1 tag
        once(m.hasTag);
        m.tag = in.Bytes(end);
        break;
      case 18: {  // 2 keys
        const Span k = in.Bytes(end);
        if (k.len > 0) r.keys.push_back(k);
        break;
      }
      case 26:  // 3 message_id
        once(m.hasId);
        m.id = in.Bytes(end);
        break;
      case 34: {  // 4 body_digest
        const size_t dEnd = in.LengthEnd(end);
        while (in.ok && in.pos < dEnd) {
          const uint32_t t = in.U32(dEnd);
          if (t == 8) in.U32(dEnd);
          else if (t == 18) in.Skip(dEnd);
          else in.Fail();
        }
        break;
      }
      case 40:  // 5 body_encoding
        once(m.hasEncoding);
        m.gzip = in.U32(end) == kGzip;
        break;
      case 48:  // 6 message_type: TRANSACTION and later types are the JavaScript path's
        once(m.hasType);
        m.type = in.U32(end);
        if (m.type > kDelay) in.Fail();
        break;
      case 58:  // 7 born_timestamp
        once(m.hasBorn);
        Time(in, end, &m.bornMs);
        break;
      case 66:  // 8 born_host
        once(m.hasHost);
        m.host = in.Bytes(end);
        break;
      case 82:   // 10 store_host
      case 98:   // 12 receipt_handle
      case 170:  // 21 lite_topic
        in.Skip(end);
        break;
      case 74:   // 9 store_timestamp
      case 122:  // 15 invisible_duration
      case 154:  // 19 orphaned_transaction_recovery_duration
        Time(in, end, nullptr);
        break;
      case 104:  // 13 queue_id (an int32: a negative one is the JavaScript path's)
        once(m.hasQueue);
        m.queueId = in.U32(end);
        if (m.queueId > 0x7FFFFFFFu) in.Fail();
        break;
      case 112:  // 14 queue_offset
        in.Var(end);
        break;
      case 128:  // 16 delivery_attempt
      case 176:  // 22 priority
        in.U32(end);
        break;
      case 138:  // 17 message_group
        once(m.hasGroup);
        m.group = in.Bytes(end);
        break;
      case 146:  // 18 trace_context
        once(m.hasTrace);
        m.trace = in.Bytes(end);
        break;
      default:  // 11 delivery_timestamp (the timer's), and any field not known
        in.Fail();
    }
  }
  m.keysCount = static_cast<uint32_t>(r.keys.size()) - m.keysFrom;
}

void ReadMessage(In& in, size_t outerEnd, Message& m, Request& r) {
  const size_t end = in.LengthEnd(outerEnd);
  m.propsFrom = static_cast<uint32_t>(r.props.size() / 2);
  while (in.ok && in.pos < end) {
    const uint32_t tag = in.U32(end);
    switch (tag) {
      case 10: {  // topic: a Resource
        if (m.hasTopic) return static_cast<void>(in.Fail());
        m.hasTopic = true;
        const size_t rEnd = in.LengthEnd(end);
        bool named = false;
        while (in.ok && in.pos < rEnd) {
          const uint32_t t = in.U32(rEnd);
          if (t == 10) {
            in.Skip(rEnd);
          } else if (t == 18 && !named) {
            named = true;
            m.topic = in.Bytes(rEnd);
          } else {
            in.Fail();
          }
        }
        break;
      }
      case 18: {  // a user property: a map entry
        const size_t eEnd = in.LengthEnd(end);
        Span k, v;
        bool hasK = false, hasV = false;
        while (in.ok && in.pos < eEnd) {
          const uint32_t t = in.U32(eEnd);
          if (t == 10 && !hasK) {
            hasK = true;
            k = in.Bytes(eEnd);
          } else if (t == 18 && !hasV) {
            hasV = true;
            v = in.Bytes(eEnd);
          } else {
            in.Fail();
          }
        }
        r.props.push_back(k);
        r.props.push_back(v);
        break;
      }
      case 26:
        if (m.hasSystem) return static_cast<void>(in.Fail());
        m.hasSystem = true;
        System(in, end, m, r);
        break;
      case 34:
        if (m.hasBody) return static_cast<void>(in.Fail());
        m.hasBody = true;
        m.body = in.Bytes(end);
        break;
      default:
        in.Fail();
    }
  }
  m.propsCount = static_cast<uint32_t>(r.props.size() / 2) - m.propsFrom;
}

}  // namespace

bool ReadSendRequest(const uint8_t* b, size_t length, Request& r) {
  In in{b, 0};
  while (in.ok && in.pos < length) {
    if (in.U32(length) != 10) return false;
    // Copied from a blank one: value-initializing the element in place zeroed it with `rep stos`, a sixth of the reading.
    static const Message kBlank;
    r.messages.push_back(kBlank);
    ReadMessage(in, length, r.messages.back(), r);
  }
  return in.ok;
}

}  // namespace mqlab
