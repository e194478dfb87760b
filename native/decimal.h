// Decimal digits without a division instruction. GCC compiled `v % 10,
// v /= 10` inside the addon's large encoders as a `div` (tens of cycles a
// digit: the receipt handle's offset was a tenth of the delivery
// encoder's samples); below 2^32 two digits here are a multiply, a shift
// and a table. The digits are written in place, their count found first
// by comparisons: a copy of a few bytes of varying length compiled to
// `rep movsb`, slower still, and a loop of multiplications by ten to
// count them was a chain the CPU waited on.
#pragma once

#include <cstdint>

namespace mqlab {

/** u / 100 for any 32-bit u. */
inline uint32_t Hundredth(uint32_t u) { return static_cast<uint32_t>((static_cast<uint64_t>(u) * 0x51EB851Full) >> 37); }

/** How many decimal digits v has (1 to 20). */
inline uint32_t DecimalLength(uint64_t v) {
  if (v < 10) return 1;
  if (v < 100) return 2;
  if (v < 1000) return 3;
  if (v < 10000) return 4;
  if (v < 100000) return 5;
  if (v < 1000000) return 6;
  if (v < 10000000) return 7;
  if (v < 100000000) return 8;
  if (v < 1000000000) return 9;
  uint32_t n = 10;
  // 10^19 is the last power below 2^64: the product past it is never compared.
  for (uint64_t p = 10000000000ull; n < 20 && v >= p; p *= 10) n++;
  return n;
}

/** "00" to "99". */
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/** v's `n` (DecimalLength(v)) digits at out, most significant first. */
inline void WriteDecimal(uint64_t v, uint8_t* out, uint32_t n) {
  while (v > 0xFFFFFFFFull) {
    const uint64_t q = v / 10;
    out[--n] = static_cast<uint8_t>('0' + (v - q * 10));
    v = q;
  }
  uint32_t u = static_cast<uint32_t>(v);
  while (n >= 2) {
    const uint32_t q = Hundredth(u);
    const uint32_t r = 2 * (u - q * 100);
    out[--n] = static_cast<uint8_t>(kDigitPairs[r + 1]);
    out[--n] = static_cast<uint8_t>(kDigitPairs[r]);
    u = q;
  }
  if (n == 1) out[0] = static_cast<uint8_t>('0' + u);
}

}  // namespace mqlab
