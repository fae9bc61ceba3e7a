#include "ir/float8.h"

#include <limits>

namespace kiln {
namespace float8_internal {
namespace {

constexpr float kNanF = std::numeric_limits<float>::quiet_NaN();
constexpr float kInfF = std::numeric_limits<float>::infinity();

constexpr float Pow2(int e) {
  float v = 1.0f;
  for (; e > 0; --e) v *= 2.0f;
  for (; e < 0; ++e) v *= 0.5f;
  return v;
}

// Decodes a small float code: `exp_bits` exponent bits, `man_bits` mantissa bits.
constexpr float Decode(uint32_t code, int exp_bits, int man_bits, int bias, Kind kind) {
  const int total = 1 + exp_bits + man_bits;
  const bool neg = (code >> (total - 1)) & 1u;
  const uint32_t mag = code & ((1u << (total - 1)) - 1);
  const uint32_t exp = mag >> man_bits;
  const uint32_t man = mag & ((1u << man_bits) - 1);
  if (kind == Kind::kFnuz && code == (1u << (total - 1))) return kNanF;
  if (kind == Kind::kFn && mag == (1u << (total - 1)) - 1) return neg ? -kNanF : kNanF;
  if (kind == Kind::kIeee && exp == (1u << exp_bits) - 1) {
    if (man != 0) return neg ? -kNanF : kNanF;
    return neg ? -kInfF : kInfF;
  }
  const float v = exp == 0 ? static_cast<float>(man) * Pow2(1 - bias - man_bits)
                           : static_cast<float>(man + (1u << man_bits)) *
                                 Pow2(static_cast<int>(exp) - bias - man_bits);
  return neg ? -v : v;
}

template <size_t N>
struct Table {
  float v[N];
};

constexpr Table<256> Build8(int exp_bits, int man_bits, int bias, Kind kind) {
  Table<256> t{};
  for (uint32_t c = 0; c < 256; ++c) t.v[c] = Decode(c, exp_bits, man_bits, bias, kind);
  return t;
}

constexpr Table<256> BuildE8M0() {
  Table<256> t{};
  for (int c = 0; c < 255; ++c) t.v[c] = Pow2(c - 127);
  t.v[255] = kNanF;
  return t;
}

constexpr Table<16> BuildE2M1() {
  Table<16> t{};
  for (uint32_t c = 0; c < 16; ++c) t.v[c] = Decode(c, 2, 1, 1, Kind::kFiniteOnly);
  return t;
}

constexpr Table<256> kE4M3FN = Build8(4, 3, 7, Kind::kFn);
constexpr Table<256> kE4M3FNUZ = Build8(4, 3, 8, Kind::kFnuz);
constexpr Table<256> kE5M2 = Build8(5, 2, 15, Kind::kIeee);
constexpr Table<256> kE5M2FNUZ = Build8(5, 2, 16, Kind::kFnuz);
constexpr Table<256> kE8M0 = BuildE8M0();
constexpr Table<16> kE2M1 = BuildE2M1();

}  // namespace

const float* const kE4M3FNValues = kE4M3FN.v;
const float* const kE4M3FNUZValues = kE4M3FNUZ.v;
const float* const kE5M2Values = kE5M2.v;
const float* const kE5M2FNUZValues = kE5M2FNUZ.v;
const float* const kE8M0Values = kE8M0.v;
const float* const kE2M1Values = kE2M1.v;

}  // namespace float8_internal

void UnpackInts(DataType dtype, const uint8_t* packed, int64_t begin, int64_t n, int8_t* out) {
  switch (dtype) {
    case DataType::kInt4:
      for (int64_t i = 0; i < n; ++i) out[i] = SignExtend4(GetNibble(packed, begin + i));
      break;
    case DataType::kUint4:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(GetNibble(packed, begin + i));
      break;
    case DataType::kInt2:
      for (int64_t i = 0; i < n; ++i) out[i] = SignExtend2(GetCrumb(packed, begin + i));
      break;
    case DataType::kUint2:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(GetCrumb(packed, begin + i));
      break;
    default:
      break;
  }
}

void PackInts(DataType dtype, const int8_t* in, int64_t n, uint8_t* packed, int64_t begin) {
  if (DataTypeBits(dtype) == 4) {
    for (int64_t i = 0; i < n; ++i) SetNibble(packed, begin + i, static_cast<uint8_t>(in[i]));
  } else if (DataTypeBits(dtype) == 2) {
    for (int64_t i = 0; i < n; ++i) SetCrumb(packed, begin + i, static_cast<uint8_t>(in[i]));
  }
}

}  // namespace kiln
