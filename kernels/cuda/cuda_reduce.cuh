// Device-side reductions shared by the reduction-style .cu files (softmax, normalization,
// attention, reduce): warp-shuffle sums and maxima, their row versions (a warp or a whole 1-D
// block per row), the NaN-propagating maximum and the capped grid of row blocks.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

namespace kiln::cuda {

constexpr unsigned kFullMask = 0xffffffffu;

// Grids of one block (or one group of rows) per row are capped; kernels loop with a grid stride.
constexpr int64_t kMaxGrid = int64_t{1} << 20;

inline unsigned Grid(int64_t blocks) {
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > kMaxGrid ? kMaxGrid : blocks));
}

__device__ __forceinline__ float NegInf() { return __int_as_float(0xff800000); }

// max(a, b) that propagates NaN from either side.
__device__ __forceinline__ float NanMax(float a, float b) { return (b > a || isnan(b)) ? b : a; }

__device__ __forceinline__ float WarpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

__device__ __forceinline__ float WarpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = NanMax(v, __shfl_xor_sync(kFullMask, v, o));
  return v;
}

// Row reductions; every thread of the row gets the result. kWarp: a warp owns the row (shuffles
// only). Otherwise the row is the whole block (1-D, a multiple of 32 threads) and the warps'
// results meet in `red` (32 floats of shared memory); the block versions end with __syncthreads,
// so `red` can be reused at once and earlier shared-memory writes are visible after them.
template <bool kWarp>
__device__ __forceinline__ float RowSum(float v, float* red) {
  v = WarpSum(v);
  if (kWarp) return v;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) red[warp] = v;
  __syncthreads();
  v = lane < static_cast<int>(blockDim.x >> 5) ? red[lane] : 0.0f;
  v = WarpSum(v);
  __syncthreads();
  return v;
}

template <bool kWarp>
__device__ __forceinline__ float RowMax(float v, float* red) {
  v = WarpMax(v);
  if (kWarp) return v;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) red[warp] = v;
  __syncthreads();
  v = lane < static_cast<int>(blockDim.x >> 5) ? red[lane] : NegInf();
  v = WarpMax(v);
  __syncthreads();
  return v;
}

// Block-wide sum / maximum.
__device__ __forceinline__ float BlockSum(float v, float* red) { return RowSum<false>(v, red); }
__device__ __forceinline__ float BlockMax(float v, float* red) { return RowMax<false>(v, red); }

}  // namespace kiln::cuda
