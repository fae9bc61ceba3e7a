// Helpers shared by the elementwise families (binary.cc, unary.cc): the arithmetic type an element
// type is computed in (float for float16 / bfloat16), loads and stores through it, wrapping
// integer arithmetic, and a saturating float-to-integer conversion. Only kernels/cpu includes this.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ir/float16.h"

namespace kiln::cpu {

// The type arithmetic on T is carried out in.
template <typename T>
struct ComputeOf {
  using type = T;
};
template <>
struct ComputeOf<Float16> {
  using type = float;
};
template <>
struct ComputeOf<BFloat16> {
  using type = float;
};
template <typename T>
using ComputeT = typename ComputeOf<T>::type;

template <typename T>
inline ComputeT<T> Load(T v) {
  return v;
}
inline float Load(Float16 v) { return ToFloat(v); }
inline float Load(BFloat16 v) { return ToFloat(v); }

template <typename T>
inline T Store(ComputeT<T> v) {
  return v;
}
template <>
inline Float16 Store<Float16>(float v) {
  return ToFloat16(v);
}
template <>
inline BFloat16 Store<BFloat16>(float v) {
  return ToBFloat16(v);
}

// Integer add / sub / mul / neg that wrap around (two's complement) instead of overflowing.
template <typename T>
inline T WrapAdd(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
}
template <typename T>
inline T WrapSub(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
}
template <typename T>
inline T WrapMul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  // Promote small types to unsigned int so the product cannot overflow a signed int.
  using P = std::conditional_t<(sizeof(U) < sizeof(unsigned)), unsigned, U>;
  return static_cast<T>(static_cast<U>(static_cast<P>(static_cast<U>(a)) * static_cast<U>(b)));
}

// Converts a floating value to an integer type: truncates toward zero, NaN gives 0 and values out
// of range saturate (a plain cast would be undefined behaviour).
template <typename I, typename F>
inline I SaturatingCast(F v) {
  if (std::isnan(v)) return 0;
  if (v <= static_cast<F>(std::numeric_limits<I>::lowest())) return std::numeric_limits<I>::lowest();
  if (v >= static_cast<F>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  return static_cast<I>(v);
}

}  // namespace kiln::cpu
