// A protobuf writer over a caller's buffer, for the addon's encoders of
// RocketMQ answers (rmq_deliveries.cc, rmq_send_answer.cc): fields as
// tags, varints and length-delimited bytes; a length put in front of what
// was written after it (End); `over` once anything did not fit, when what
// was written is not to be used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "decimal.h"

namespace mqlab {

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
    // Through a local pointer: a byte stored through b may alias the writer's own fields, so b[pos++] made the
    // compiler load pos and b again after every byte.
    uint8_t* p = b + pos;
    while (v > 127) {
      *p++ = static_cast<uint8_t>((v & 127) | 128);
      v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    pos = static_cast<size_t>(p - b);
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
  /** A length-delimited field's tag and one byte for its length (End fills it in); returns where its content starts. */
  size_t Begin(int field) {
    Tag(field, 2);
    if (!Room(1)) return pos;
    b[pos++] = 0;
    return pos;
  }
  /**
   * Puts the length of what was written since `at` (and `tail` bytes to
   * come) in Begin's byte in front of it: most fields (a digest, a
   * timestamp, a handle) are under 128 bytes and move nothing; a longer
   * one moves its content up by the length's extra bytes.
   */
  void End(size_t at, size_t tail = 0) {
    if (over) return;
    const uint64_t length = (pos - at) + tail;
    if (length < 128) {
      b[at - 1] = static_cast<uint8_t>(length);
      return;
    }
    size_t extra = 0;
    for (uint64_t x = length; x > 127; x >>= 7) extra++;
    if (!Room(extra)) return;
    std::memmove(b + at + extra, b + at, pos - at);
    const size_t end = pos + extra;
    pos = at - 1;
    VarU(length);
    pos = end;
  }
  void Digits(uint64_t v) {
    const uint32_t n = DecimalLength(v);
    if (!Room(n)) return;
    WriteDecimal(v, b + pos, n);
    pos += n;
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

}  // namespace mqlab
