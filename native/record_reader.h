// Kafka records read in C++ as records/varint.ts and records/record.ts read
// them, or more strictly: anything they would refuse, these refuse too,
// and a caller that gets false leaves the bytes to the JavaScript decoder,
// which says what is wrong. Shared by the addon's scans and its delivery
// encoder (rmq_scan.cc, rmq_deliveries.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace mqlab {

constexpr int64_t kMaxSafeInt = 9007199254740991LL;  // Number.MAX_SAFE_INTEGER
constexpr double kMaxSafe = 9007199254740991.0;
constexpr int32_t kRecordBodyMinBytes = 6;
constexpr int32_t kHeaderMinBytes = 2;

struct Cur {
  const uint8_t* b;
  size_t pos;
  size_t end;
};

inline bool VarInt(Cur& c, int32_t& out) {
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
inline bool VarLongSafe(Cur& c, int64_t& out) {
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

inline bool Bytes(Cur& c, Span& s) {
  int32_t n;
  if (!VarInt(c, n)) return false;
  if (n < -1) return false;
  if (n > 0 && static_cast<size_t>(n) > c.end - c.pos) return false;
  s.at = c.pos;
  s.length = n;
  if (n > 0) c.pos += static_cast<size_t>(n);
  return true;
}

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
inline bool ReadRecord(Cur& c, Record& r) {
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

}  // namespace mqlab
