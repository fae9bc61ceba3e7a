// 8-bit and 4-bit float conversions and sub-byte packing helpers.
//
// Formats (ONNX TensorProto names):
//   float8e4m3fn    bias 7,  no inf, NaN = S.1111.111, max 448
//   float8e4m3fnuz  bias 8,  no inf, no -0, NaN = 0x80, max 240
//   float8e5m2      bias 15, IEEE-like (inf, NaN), max 57344
//   float8e5m2fnuz  bias 16, no inf, no -0, NaN = 0x80, max 57344
//   float8e8m0      unsigned power of two 2^(bits-127), 0xFF = NaN
//   float4e2m1      bias 1, no inf / NaN, max 6 (packed two per byte)
//
// Narrowing conversions round to nearest even. With `saturate` (ONNX Cast's default) infinities
// and out-of-range values become +-max; without it they become inf (e5m2) or NaN (the others),
// following the tables in the ONNX Cast specification (and ml_dtypes, which the ONNX reference
// uses). float4e2m1 has neither inf nor NaN and always saturates; NaN maps to 0x8 (-0), -NaN to
// 0x0, as in ml_dtypes.
//
// Packed types (int4, uint4, float4e2m1, int2, uint2) store their elements low bits first: element
// i of a 4-bit tensor is the low nibble of byte i/2 when i is even, the high nibble when odd.
//
// Everything here is a pure function: thread-safe.
#pragma once

#include <cstdint>
#include <cstring>

#include "ir/dtype.h"
#include "ir/float16.h"

namespace kiln {

namespace float8_internal {

enum class Kind {
  kIeee,        // inf and NaN encodings (float8e5m2, float16, bfloat16)
  kFn,          // no inf; all-ones magnitude is NaN (float8e4m3fn)
  kFnuz,        // no inf, no -0; 0x80 is NaN (float8e4m3fnuz, float8e5m2fnuz)
  kFiniteOnly,  // no inf, no NaN (float4e2m1)
};

// Target formats: mantissa bits, exponent bias, kind and the codes of special values.
struct E4M3FN {
  static constexpr int kMan = 3, kBias = 7;
  static constexpr Kind kKind = Kind::kFn;
  static constexpr uint32_t kSign = 0x80, kMaxCode = 0x7E, kNan = 0x7F, kInf = 0;
};
struct E4M3FNUZ {
  static constexpr int kMan = 3, kBias = 8;
  static constexpr Kind kKind = Kind::kFnuz;
  static constexpr uint32_t kSign = 0x80, kMaxCode = 0x7F, kNan = 0x80, kInf = 0;
};
struct E5M2 {
  static constexpr int kMan = 2, kBias = 15;
  static constexpr Kind kKind = Kind::kIeee;
  static constexpr uint32_t kSign = 0x80, kMaxCode = 0x7B, kNan = 0x7E, kInf = 0x7C;
};
struct E5M2FNUZ {
  static constexpr int kMan = 2, kBias = 16;
  static constexpr Kind kKind = Kind::kFnuz;
  static constexpr uint32_t kSign = 0x80, kMaxCode = 0x7F, kNan = 0x80, kInf = 0;
};
struct E2M1 {
  static constexpr int kMan = 1, kBias = 1;
  static constexpr Kind kKind = Kind::kFiniteOnly;
  static constexpr uint32_t kSign = 0x8, kMaxCode = 0x7, kNan = 0x8, kInf = 0;
};
struct Half {  // IEEE binary16, for exact double -> float16
  static constexpr int kMan = 10, kBias = 15;
  static constexpr Kind kKind = Kind::kIeee;
  static constexpr uint32_t kSign = 0x8000, kMaxCode = 0x7BFF, kNan = 0x7E00, kInf = 0x7C00;
};
struct BHalf {  // bfloat16, for exact double -> bfloat16
  static constexpr int kMan = 7, kBias = 127;
  static constexpr Kind kKind = Kind::kIeee;
  static constexpr uint32_t kSign = 0x8000, kMaxCode = 0x7F7F, kNan = 0x7FC0, kInf = 0x7F80;
};

// Source formats.
struct FromFloat {
  using Bits = uint32_t;
  static constexpr int kMan = 23, kExp = 8;
};
struct FromDouble {
  using Bits = uint64_t;
  static constexpr int kMan = 52, kExp = 11;
};

// Rounds a float / double (given as its bits) to the target format, round to nearest even.
template <typename Fmt, typename Src>
inline uint32_t Encode(typename Src::Bits u, bool saturate) {
  using B = typename Src::Bits;
  constexpr int kSM = Src::kMan;
  constexpr int kSE = Src::kExp;
  constexpr int kSBias = (1 << (kSE - 1)) - 1;
  constexpr int kEmin = 1 - Fmt::kBias;
  const uint32_t sign = (u >> (kSM + kSE)) ? Fmt::kSign : 0u;
  const int exp_field = static_cast<int>((u >> kSM) & ((B{1} << kSE) - 1));
  const B man = u & ((B{1} << kSM) - 1);
  auto overflow = [&]() -> uint32_t {
    if (saturate || Fmt::kKind == Kind::kFiniteOnly) return sign | Fmt::kMaxCode;
    if (Fmt::kKind == Kind::kIeee) return sign | Fmt::kInf;
    if (Fmt::kKind == Kind::kFn) return sign | Fmt::kNan;
    return Fmt::kNan;
  };
  if (exp_field == (1 << kSE) - 1) {
    if (man != 0) {  // NaN
      if (Fmt::kKind == Kind::kIeee || Fmt::kKind == Kind::kFn) return sign | Fmt::kNan;
      if (Fmt::kKind == Kind::kFiniteOnly) return sign ^ Fmt::kNan;  // as ml_dtypes does
      return Fmt::kNan;
    }
    return overflow();  // +-inf
  }
  if (exp_field == 0 && man == 0) return Fmt::kKind == Kind::kFnuz ? 0u : sign;
  int e;
  B sig;
  if (exp_field == 0) {  // subnormal source: normalize
    e = 1 - kSBias;
    sig = man;
    while (!(sig >> kSM)) {
      sig <<= 1;
      --e;
    }
  } else {
    e = exp_field - kSBias;
    sig = man | (B{1} << kSM);
  }
  int shift = kSM - Fmt::kMan + (e < kEmin ? kEmin - e : 0);
  if (shift > kSM + 2) shift = kSM + 2;  // rounds to zero either way
  B q = sig >> shift;
  const B rem = sig & ((B{1} << shift) - 1);
  const B half = B{1} << (shift - 1);
  if (rem > half || (rem == half && (q & 1))) ++q;
  // Subnormal results: q is the mantissa. Normal: q includes the implicit bit, which carries into
  // the exponent field (and a rounding carry moves to the next binade by itself).
  const int64_t code =
      (static_cast<int64_t>(e > kEmin ? e - kEmin : 0) << Fmt::kMan) + static_cast<int64_t>(q);
  if (code > static_cast<int64_t>(Fmt::kMaxCode)) return overflow();
  if (code == 0 && Fmt::kKind == Kind::kFnuz) return 0u;
  return sign | static_cast<uint32_t>(code);
}

inline uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

template <typename Fmt>
inline uint32_t EncodeAny(float f, bool saturate) {
  return Encode<Fmt, FromFloat>(Bits(f), saturate);
}
template <typename Fmt>
inline uint32_t EncodeAny(double d, bool saturate) {
  return Encode<Fmt, FromDouble>(Bits(d), saturate);
}

// Decoding tables (index: the 8-bit code; float4e2m1: the low nibble).
extern const float* const kE4M3FNValues;
extern const float* const kE4M3FNUZValues;
extern const float* const kE5M2Values;
extern const float* const kE5M2FNUZValues;
extern const float* const kE8M0Values;
extern const float* const kE2M1Values;

}  // namespace float8_internal

// ---- float8 -> float (exact) ----
inline float ToFloat(Float8E4M3FN v) { return float8_internal::kE4M3FNValues[v.bits]; }
inline float ToFloat(Float8E4M3FNUZ v) { return float8_internal::kE4M3FNUZValues[v.bits]; }
inline float ToFloat(Float8E5M2 v) { return float8_internal::kE5M2Values[v.bits]; }
inline float ToFloat(Float8E5M2FNUZ v) { return float8_internal::kE5M2FNUZValues[v.bits]; }
inline float ToFloat(Float8E8M0 v) { return float8_internal::kE8M0Values[v.bits]; }
// A float4e2m1 code (low 4 bits of `code`) to float.
inline float Float4E2M1ToFloat(uint8_t code) { return float8_internal::kE2M1Values[code & 0xF]; }

// ---- float / double -> float8, round to nearest even ----
template <typename F>
inline Float8E4M3FN ToFloat8E4M3FN(F v, bool saturate = true) {
  return {static_cast<uint8_t>(float8_internal::EncodeAny<float8_internal::E4M3FN>(v, saturate))};
}
template <typename F>
inline Float8E4M3FNUZ ToFloat8E4M3FNUZ(F v, bool saturate = true) {
  return {static_cast<uint8_t>(float8_internal::EncodeAny<float8_internal::E4M3FNUZ>(v, saturate))};
}
template <typename F>
inline Float8E5M2 ToFloat8E5M2(F v, bool saturate = true) {
  return {static_cast<uint8_t>(float8_internal::EncodeAny<float8_internal::E5M2>(v, saturate))};
}
template <typename F>
inline Float8E5M2FNUZ ToFloat8E5M2FNUZ(F v, bool saturate = true) {
  return {static_cast<uint8_t>(float8_internal::EncodeAny<float8_internal::E5M2FNUZ>(v, saturate))};
}
// float / double -> float4e2m1 code (0..15); saturates, NaN -> 0x8, -NaN -> 0x0.
template <typename F>
inline uint8_t ToFloat4E2M1(F v) {
  return static_cast<uint8_t>(float8_internal::EncodeAny<float8_internal::E2M1>(v, true));
}
// double -> float16 / bfloat16 without double rounding through float (inf on overflow).
inline Float16 DoubleToFloat16(double d) {
  return {static_cast<uint16_t>(float8_internal::EncodeAny<float8_internal::Half>(d, false))};
}
inline BFloat16 DoubleToBFloat16(double d) {
  return {static_cast<uint16_t>(float8_internal::EncodeAny<float8_internal::BHalf>(d, false))};
}

// float8e8m0 rounding modes of ONNX Cast's round_mode attribute.
enum class E8M0Rounding { kUp, kDown, kNearest };
// float -> float8e8m0 (the float's exponent, rounded per `mode`); the sign is ignored, NaN and inf
// give 0xFF. With `saturate`, rounding never steps past the largest exponent (0xFE).
inline Float8E8M0 ToFloat8E8M0(float f, bool saturate = true,
                               E8M0Rounding mode = E8M0Rounding::kUp) {
  const uint32_t u = float8_internal::Bits(f);
  uint32_t exp = (u >> 23) & 0xFFu;
  if (exp == 0xFFu) return {0xFF};
  bool round_up = false;
  if (mode == E8M0Rounding::kUp) {
    round_up = (u & 0x7FFFFFu) != 0;
  } else if (mode == E8M0Rounding::kNearest) {
    const bool guard = (u & 0x400000u) != 0;
    const bool round = (u & 0x200000u) != 0;
    const bool sticky = (u & 0x1FFFFFu) != 0;
    round_up = guard && (round || sticky || exp > 0);
  }
  if (round_up && !(saturate && exp == 0xFEu)) ++exp;
  return {static_cast<uint8_t>(exp)};
}

// ---- packed sub-byte elements (low bits first) ----
// The raw 4-bit code of element i.
inline uint8_t GetNibble(const uint8_t* data, int64_t i) {
  return static_cast<uint8_t>((data[i >> 1] >> ((i & 1) * 4)) & 0xF);
}
// Sets element i to the low 4 bits of `code` (read-modify-write of its byte).
inline void SetNibble(uint8_t* data, int64_t i, uint8_t code) {
  const int shift = static_cast<int>(i & 1) * 4;
  uint8_t& b = data[i >> 1];
  b = static_cast<uint8_t>((b & ~(0xF << shift)) | ((code & 0xF) << shift));
}
// The raw 2-bit code of element i.
inline uint8_t GetCrumb(const uint8_t* data, int64_t i) {
  return static_cast<uint8_t>((data[i >> 2] >> ((i & 3) * 2)) & 0x3);
}
inline void SetCrumb(uint8_t* data, int64_t i, uint8_t code) {
  const int shift = static_cast<int>(i & 3) * 2;
  uint8_t& b = data[i >> 2];
  b = static_cast<uint8_t>((b & ~(0x3 << shift)) | ((code & 0x3) << shift));
}
// Sign extension of 4-bit / 2-bit two's complement codes.
inline int8_t SignExtend4(uint8_t code) {
  return static_cast<int8_t>(static_cast<int8_t>(code << 4) >> 4);
}
inline int8_t SignExtend2(uint8_t code) {
  return static_cast<int8_t>(static_cast<int8_t>(code << 6) >> 6);
}

// Unpacks elements [begin, begin + n) of a packed tensor of `dtype` (int4, uint4, int2, uint2)
// into one int8 each (sign-extended for int4 / int2).
void UnpackInts(DataType dtype, const uint8_t* packed, int64_t begin, int64_t n, int8_t* out);
// Packs n values (their low bits) into elements [begin, begin + n) of a packed int tensor.
void PackInts(DataType dtype, const int8_t* in, int64_t n, uint8_t* packed, int64_t begin);

}  // namespace kiln
