// Helpers shared by the CPU and CUDA kernel families: element-type dispatch, axis handling, numpy
// broadcasting. Plain C++ (kernels/ops: no Eigen, oneDNN or CUDA).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "ir/float16.h"
#include "kernels/api/kernel.h"

namespace kiln::ops {

template <typename T>
struct Tag {
  using type = T;
};

// Calls f(Tag<T>{}) with the C++ storage type T of `dt` if it is one of Ts; returns whether it did.
//   bool ok = Dispatch<float, double, int64_t>(t.dtype(), [&](auto tag) {
//     using T = typename decltype(tag)::type; ... });
template <typename... Ts, typename F>
bool Dispatch(DataType dt, F&& f) {
  bool done = false;
  ((!done && DataTypeOf<Ts>::value == dt ? (f(Tag<Ts>{}), done = true) : false), ...);
  return done;
}

// Whether `t` is one of `types` (a kernel's accepted element types).
inline bool ContainsType(const std::vector<DataType>& types, DataType t) {
  for (DataType x : types) {
    if (x == t) return true;
  }
  return false;
}

// Standard type sets for Dispatch, as macros so they expand into template argument lists.
#define KILN_FLOAT_TYPES float, double, ::kiln::Float16, ::kiln::BFloat16
#define KILN_INT_TYPES int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
#define KILN_NUMERIC_TYPES KILN_FLOAT_TYPES, KILN_INT_TYPES

// Converts any arithmetic storage type to float/double for math, and back.
template <typename T>
inline double ToDouble(T v) {
  return static_cast<double>(v);
}
template <>
inline double ToDouble(Float16 v) {
  return ToFloat(v);
}
template <>
inline double ToDouble(BFloat16 v) {
  return ToFloat(v);
}
template <typename T>
inline T FromDouble(double v) {
  return static_cast<T>(v);
}
template <>
inline Float16 FromDouble(double v) {
  return ToFloat16(static_cast<float>(v));
}
template <>
inline BFloat16 FromDouble(double v) {
  return ToBFloat16(static_cast<float>(v));
}

// Converts a computed double to T: floats directly, integers rounded half to even and saturated.
template <typename T>
inline T SaturateFromDouble(double v) {
  if constexpr (std::is_integral_v<T>) {
    if (std::isnan(v)) return T(0);
    v = std::nearbyint(v);
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    if (v <= lo) return std::numeric_limits<T>::lowest();
    if (v >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else {
    return FromDouble<T>(v);
  }
}

// Normalizes a possibly negative axis into [0, rank); the error names the node's input.
StatusOr<int> NormalizeAxis(int64_t axis, int rank, const Node& node);

// numpy broadcasting of several shapes; the error lists the shapes.
StatusOr<std::vector<int64_t>> BroadcastShapes(const std::vector<std::vector<int64_t>>& shapes);

// Strides for reading an input of shape `in` at an output multi-index of shape `out` (right
// aligned, 0 on broadcast dims).
std::vector<int64_t> BroadcastStrides(const std::vector<int64_t>& in,
                                      const std::vector<int64_t>& out);

// Walks an output of shape `out` in row-major order and calls
//   fn(out_offset, in_offsets, n, inner_strides)
// for each run of `n` output elements along the innermost dimension; input k's elements for that
// run are at in_offsets[k] + j * inner_strides[k] (inner stride 0: broadcast scalar along the run).
// Dimensions are coalesced first, so contiguous inputs give long runs.
template <size_t N, typename Fn>
void ForEachBroadcastRun(const std::vector<int64_t>& out,
                         const std::vector<std::vector<int64_t>>& in_shapes, Fn&& fn);

// ForEachBroadcastRun over output elements [begin, end) only (runs cut at both ends), so a kernel
// can split one broadcast over threads.
template <size_t N, typename Fn>
void ForEachBroadcastRunRange(const std::vector<int64_t>& out,
                              const std::vector<std::vector<int64_t>>& in_shapes, int64_t begin,
                              int64_t end, Fn&& fn);

// Row-major strides of dims.
std::vector<int64_t> ContiguousStrides(const std::vector<int64_t>& dims);

// Product of dims[begin, end).
int64_t ProductOfDims(const std::vector<int64_t>& dims, int begin, int end);

}  // namespace kiln::ops

#include "kernels/ops/common_inl.h"
