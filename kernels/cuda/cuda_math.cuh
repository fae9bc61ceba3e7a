// Device-side helpers shared by the .cu files: element types, float conversion, index math.
// Compute happens in float for float16 and bfloat16 (loads convert up, stores round to nearest).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace kiln::cuda {

template <typename T>
__device__ __forceinline__ float ToF(T v) {
  return static_cast<float>(v);
}
template <>
__device__ __forceinline__ float ToF<__half>(__half v) {
  return __half2float(v);
}
template <>
__device__ __forceinline__ float ToF<__nv_bfloat16>(__nv_bfloat16 v) {
  return __bfloat162float(v);
}

template <typename T>
__device__ __forceinline__ T FromF(float v) {
  return static_cast<T>(v);
}
template <>
__device__ __forceinline__ __half FromF<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 FromF<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// Threads per block of the 1-D element-wise launches, and their grid size for n elements (capped;
// kernels loop with a grid stride).
constexpr int kBlock = 256;
inline unsigned GridFor(int64_t n) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > 65535 * 8 ? 65535 * 8 : blocks));
}

}  // namespace kiln::cuda
