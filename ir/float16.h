// float16 (IEEE binary16) and bfloat16 conversions, round to nearest even.
#pragma once

#include <cstdint>
#include <cstring>

#include "ir/dtype.h"

namespace kiln {

inline float BitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t FloatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline float ToFloat(Float16 h) {
  uint32_t sign = (h.bits & 0x8000u) << 16;
  uint32_t exp = (h.bits >> 10) & 0x1f;
  uint32_t man = h.bits & 0x3ffu;
  if (exp == 0x1f) return BitsToFloat(sign | 0x7f800000u | (man << 13));  // inf / nan
  if (exp == 0) {
    if (man == 0) return BitsToFloat(sign);
    // subnormal: value = man * 2^-24
    float v = static_cast<float>(man) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return BitsToFloat(sign | ((exp + 112) << 23) | (man << 13));
}

inline Float16 ToFloat16(float f) {
  uint32_t u = FloatToBits(f);
  uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  uint32_t abs = u & 0x7fffffffu;
  Float16 h;
  if (abs >= 0x7f800000u) {  // inf or nan
    h.bits = sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0u);
    return h;
  }
  if (abs >= 0x477ff000u) {  // rounds to >= 65520 -> inf
    h.bits = sign | 0x7c00u;
    return h;
  }
  if (abs < 0x38800000u) {  // below the smallest normal half (2^-14): subnormal or zero
    // Scale so that rounding to an integer gives the subnormal mantissa (round half to even by
    // the FPU's default rounding).
    float v = BitsToFloat(abs) * 16777216.0f;  // 2^24
    uint32_t m = static_cast<uint32_t>(__builtin_nearbyintf(v));
    h.bits = sign | static_cast<uint16_t>(m);
    return h;
  }
  uint32_t mant_odd = (abs >> 13) & 1u;
  abs += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
  h.bits = sign | static_cast<uint16_t>(abs >> 13);
  return h;
}

inline float ToFloat(BFloat16 b) { return BitsToFloat(static_cast<uint32_t>(b.bits) << 16); }

inline BFloat16 ToBFloat16(float f) {
  uint32_t u = FloatToBits(f);
  BFloat16 b;
  if ((u & 0x7fffffffu) > 0x7f800000u) {  // nan: keep it a quiet nan
    b.bits = static_cast<uint16_t>((u >> 16) | 0x40u);
    return b;
  }
  u += 0x7fffu + ((u >> 16) & 1u);
  b.bits = static_cast<uint16_t>(u >> 16);
  return b;
}

}  // namespace kiln
