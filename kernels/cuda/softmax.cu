// CUDA kernels of the softmax family: Softmax, LogSoftmax, Hardmax (see softmax.cuh).
//
// Contiguous rows (inner == 1): one warp per row when the row is short (n <= 1024), else one block
// of 256 threads per row; three passes over the row (maximum, sum of exponentials, write), with
// warp-shuffle reductions. Strided rows (inner > 1): one thread per (outer, inner) column walking
// the n elements `inner` apart, so neighbouring threads read neighbouring addresses.
// Everything computes in float; the maximum propagates NaN as the CPU kernel does, and Hardmax
// picks the first maximum (the first NaN if there is one).
#include <cmath>
#include <cstdint>

#include "kernels/cuda/cuda_math.cuh"
#include "kernels/cuda/cuda_reduce.cuh"
#include "kernels/cuda/softmax.cuh"

namespace kiln::cuda {
namespace {

constexpr int kRowBlock = 256;    // threads of the block-per-row kernel
constexpr int kWarpRows = 8;      // rows (warps) per block of the warp-per-row kernel
constexpr int64_t kMaxWarpRowLength = 1024;

// Whether (v, i) beats (best, best_i) as the first maximum: NaN is the largest value, ties go to
// the smaller index.
__device__ __forceinline__ bool Better(float v, int64_t i, float best, int64_t best_i) {
  const bool vn = isnan(v), bn = isnan(best);
  if (vn || bn) return vn && bn ? i < best_i : vn;
  if (v != best) return v > best;
  return i < best_i;
}

__device__ __forceinline__ void WarpArg(float* v, int64_t* i) {
  for (int o = 16; o > 0; o >>= 1) {
    const float ov = __shfl_xor_sync(kFullMask, *v, o);
    const long long oi = __shfl_xor_sync(kFullMask, static_cast<long long>(*i), o);
    if (Better(ov, oi, *v, *i)) {
      *v = ov;
      *i = oi;
    }
  }
}

// RowArg: as RowMax / RowSum (cuda_reduce.cuh) for the first maximum and its index.
template <bool kWarp>
__device__ __forceinline__ void RowArg(float* v, int64_t* i, float* red_v, int64_t* red_i) {
  WarpArg(v, i);
  if (kWarp) return;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    red_v[warp] = *v;
    red_i[warp] = *i;
  }
  __syncthreads();
  if (lane < static_cast<int>(blockDim.x >> 5)) {
    *v = red_v[lane];
    *i = red_i[lane];
  } else {
    *v = NegInf();
    *i = INT64_MAX;
  }
  WarpArg(v, i);
  __syncthreads();
}

// Contiguous rows of length n. kWarp: block (32, kWarpRows), a warp per row; else a 1-D block
// (a multiple of 32 threads) per row. Rows loop with a grid stride (uniform per warp / block).
template <typename T, bool kWarp>
__global__ void SoftmaxRowsKernel(SoftmaxMode mode, const T* __restrict__ x, T* __restrict__ y,
                                  int64_t rows, int64_t n) {
  __shared__ float red_v[32];
  __shared__ int64_t red_i[32];
  const int tid = threadIdx.x;
  const int width = kWarp ? 32 : static_cast<int>(blockDim.x);
  const int64_t first = kWarp ? static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y
                              : static_cast<int64_t>(blockIdx.x);
  const int64_t step = kWarp ? static_cast<int64_t>(gridDim.x) * blockDim.y : gridDim.x;
  for (int64_t row = first; row < rows; row += step) {
    const T* xr = x + row * n;
    T* yr = y + row * n;
    if (mode == SoftmaxMode::kHardmax) {
      float best = NegInf();
      int64_t arg = INT64_MAX;
      for (int64_t k = tid; k < n; k += width) {
        const float v = ToF(xr[k]);
        if (Better(v, k, best, arg)) {
          best = v;
          arg = k;
        }
      }
      RowArg<kWarp>(&best, &arg, red_v, red_i);
      // All values -inf: the first one is the maximum (the CPU's arg starts at 0).
      if (arg == INT64_MAX) arg = 0;
      for (int64_t k = tid; k < n; k += width) yr[k] = FromF<T>(k == arg ? 1.0f : 0.0f);
      continue;
    }
    float mx = NegInf();
    for (int64_t k = tid; k < n; k += width) mx = NanMax(mx, ToF(xr[k]));
    mx = RowMax<kWarp>(mx, red_v);
    float sum = 0.0f;
    for (int64_t k = tid; k < n; k += width) sum += expf(ToF(xr[k]) - mx);
    sum = RowSum<kWarp>(sum, red_v);
    if (mode == SoftmaxMode::kSoftmax) {
      const float inv = 1.0f / sum;
      for (int64_t k = tid; k < n; k += width) yr[k] = FromF<T>(expf(ToF(xr[k]) - mx) * inv);
    } else {
      const float log_sum = logf(sum);
      for (int64_t k = tid; k < n; k += width) yr[k] = FromF<T>((ToF(xr[k]) - mx) - log_sum);
    }
  }
}

// Strided rows: one thread per (o, i) column of [outer, n, inner].
template <typename T>
__global__ void SoftmaxStridedKernel(SoftmaxMode mode, const T* __restrict__ x, T* __restrict__ y,
                                     int64_t outer, int64_t n, int64_t inner) {
  const int64_t total = outer * inner;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < total;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t o = c / inner, i = c % inner;
    const T* xc = x + o * n * inner + i;
    T* yc = y + o * n * inner + i;
    if (mode == SoftmaxMode::kHardmax) {
      float best = NegInf();
      int64_t arg = 0;
      for (int64_t k = 0; k < n; ++k) {
        const float v = ToF(xc[k * inner]);
        if (v > best || (isnan(v) && !isnan(best))) {
          best = v;
          arg = k;
        }
      }
      for (int64_t k = 0; k < n; ++k) yc[k * inner] = FromF<T>(k == arg ? 1.0f : 0.0f);
      continue;
    }
    float mx = NegInf();
    for (int64_t k = 0; k < n; ++k) mx = NanMax(mx, ToF(xc[k * inner]));
    float sum = 0.0f;
    for (int64_t k = 0; k < n; ++k) sum += expf(ToF(xc[k * inner]) - mx);
    if (mode == SoftmaxMode::kSoftmax) {
      const float inv = 1.0f / sum;
      for (int64_t k = 0; k < n; ++k) {
        yc[k * inner] = FromF<T>(expf(ToF(xc[k * inner]) - mx) * inv);
      }
    } else {
      const float log_sum = logf(sum);
      for (int64_t k = 0; k < n; ++k) {
        yc[k * inner] = FromF<T>((ToF(xc[k * inner]) - mx) - log_sum);
      }
    }
  }
}

template <typename T>
cudaError_t LaunchTyped(SoftmaxMode mode, const void* xv, void* yv, int64_t outer, int64_t n,
                        int64_t inner, cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  T* y = static_cast<T*>(yv);
  if (inner == 1) {
    if (n <= kMaxWarpRowLength) {
      const dim3 block(32, kWarpRows);
      SoftmaxRowsKernel<T, true><<<Grid((outer + kWarpRows - 1) / kWarpRows), block, 0, stream>>>(
          mode, x, y, outer, n);
    } else {
      SoftmaxRowsKernel<T, false><<<Grid(outer), kRowBlock, 0, stream>>>(mode, x, y, outer, n);
    }
  } else {
    SoftmaxStridedKernel<T><<<GridFor(outer * inner), kBlock, 0, stream>>>(mode, x, y, outer, n,
                                                                           inner);
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchSoftmax(SoftmaxMode mode, DataType dtype, const void* x, void* y, int64_t outer,
                          int64_t n, int64_t inner, cudaStream_t stream) {
  if (outer <= 0 || n <= 0 || inner <= 0) return cudaSuccess;
  switch (dtype) {
    case DataType::kFloat: return LaunchTyped<float>(mode, x, y, outer, n, inner, stream);
    case DataType::kFloat16: return LaunchTyped<__half>(mode, x, y, outer, n, inner, stream);
    case DataType::kBFloat16:
      return LaunchTyped<__nv_bfloat16>(mode, x, y, outer, n, inner, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace kiln::cuda
