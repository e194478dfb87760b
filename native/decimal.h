// Decimal digits without a division instruction. GCC compiled `v % 10,
// v /= 10` inside the addon's large encoders as a `div` (tens of cycles a
// digit: the receipt handle's offset was a tenth of the delivery
// encoder's samples); below 2^32 a digit here is a multiply and a shift.
// The digits are written in place, their count found first: a copy of a
// few bytes of varying length compiled to `rep movsb`, slower still.
#pragma once

#include <cstdint>

namespace mqlab {

/** u / 10 for any 32-bit u. */
inline uint32_t Tenth(uint32_t u) { return static_cast<uint32_t>((static_cast<uint64_t>(u) * 0xCCCCCCCDull) >> 35); }

/** How many decimal digits v has (1 to 20). */
inline uint32_t DecimalLength(uint64_t v) {
  uint32_t n = 1;
  for (uint64_t p = 10; v >= p; p *= 10) {
    n++;
    if (n == 20) break;  // 10^19 is the last power below 2^64
  }
  return n;
}

/** v's `n` (DecimalLength(v)) digits at out, most significant first. */
inline void WriteDecimal(uint64_t v, uint8_t* out, uint32_t n) {
  while (v > 0xFFFFFFFFull) {
    const uint64_t q = v / 10;
    out[--n] = static_cast<uint8_t>('0' + (v - q * 10));
    v = q;
  }
  uint32_t u = static_cast<uint32_t>(v);
  while (n > 0) {
    const uint32_t q = Tenth(u);
    out[--n] = static_cast<uint8_t>('0' + (u - q * 10));
    u = q;
  }
}

}  // namespace mqlab
