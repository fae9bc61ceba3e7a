// CUDA kernel of Cast (host side: cast.cc): one grid-stride kernel templated on the source and
// target storage types, with the CPU Cast's conversions (kernels/cpu/cast.cc).
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/elementwise.cuh"

namespace kiln::cuda {
namespace {

using ew::BoolByte;
using ew::Load;

// The value a source element converts through: float for the 32- and 16-bit floats, double for
// double, int64 for integers and bool.
template <typename S>
__device__ __forceinline__ auto CastMid(S v) {
  if constexpr (ew::kIsFloat16Or32<S>) {
    return Load(v);
  } else if constexpr (std::is_same_v<S, double>) {
    return v;
  } else if constexpr (std::is_same_v<S, BoolByte>) {
    return static_cast<int64_t>(v.v != 0 ? 1 : 0);
  } else {
    return static_cast<int64_t>(v);
  }
}

// Float to integer: truncation toward zero into int64; NaN and values outside the int64 and
// uint64 ranges give INT64_MIN; [2^63, 2^64) keeps its uint64 bits (the CPU Cast's rule).
__device__ __forceinline__ int64_t FloatToIntBits(double v) {
  if (v > -9223372036854777856.0 && v < 9223372036854775808.0) return static_cast<int64_t>(v);
  if (v >= 9223372036854775808.0 && v < 18446744073709551616.0) {
    return static_cast<int64_t>(static_cast<uint64_t>(v));
  }
  return INT64_MIN;
}

template <typename D, typename M>
__device__ __forceinline__ D CastTo(M v) {
  if constexpr (std::is_same_v<D, BoolByte>) {
    return BoolByte{static_cast<uint8_t>(v != M(0) ? 1 : 0)};  // NaN is true
  } else if constexpr (std::is_same_v<D, float> || std::is_same_v<D, double>) {
    return static_cast<D>(v);
  } else if constexpr (std::is_integral_v<D>) {
    if constexpr (std::is_integral_v<M>) {
      return static_cast<D>(v);  // wraps
    } else {
      return static_cast<D>(FloatToIntBits(static_cast<double>(v)));
    }
  } else if constexpr (std::is_same_v<D, __half>) {
    if constexpr (std::is_same_v<M, float>) {
      return __float2half_rn(v);
    } else {
      return __double2half(static_cast<double>(v));  // one rounding from the exact value
    }
  } else {
    static_assert(std::is_same_v<D, __nv_bfloat16>, "unhandled cast target");
    if constexpr (std::is_same_v<M, float>) {
      return __float2bfloat16_rn(v);
    } else {
      return __double2bfloat16(static_cast<double>(v));
    }
  }
}

template <typename S, typename D>
__global__ void CastKernel(const S* x, D* y, int64_t n) {
  KILN_EW_FOR(int64_t, i, n) { y[i] = CastTo<D>(CastMid(x[i])); }
}

}  // namespace

cudaError_t LaunchCast(ElemType from, ElemType to, const void* x, void* y, int64_t n,
                       cudaStream_t stream) {
  return ew::DispatchElem(from, [&](auto src) -> cudaError_t {
    return ew::DispatchElem(to, [&](auto dst) -> cudaError_t {
      using S = decltype(src);
      using D = decltype(dst);
      if (n <= 0) return cudaSuccess;
      CastKernel<S, D>
          <<<GridFor(n), kBlock, 0, stream>>>(static_cast<const S*>(x), static_cast<D*>(y), n);
      return cudaGetLastError();
    });
  });
}

}  // namespace kiln::cuda
