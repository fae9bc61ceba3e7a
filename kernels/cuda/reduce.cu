// CUDA kernels of the reduction family (see reduce.cuh).
//
// Every kernel runs blocks of 32 x 8 threads; a "group" of threads shares one output element and
// splits its reduced indices between them:
//  - kWarpGroup: the innermost dim is reduced and reductions are short: one warp per output,
//    lanes read neighbouring elements.
//  - kBlockGroup: the innermost dim is reduced and reductions are long: the whole block per output.
//  - kColumnGroup: the innermost dim is kept: 32 neighbouring outputs per block (threadIdx.x), each
//    reduced by the 8 threads of its column (threadIdx.y); lanes read neighbouring elements.
// Partial results combine with warp shuffles or through shared memory; every thread of a group
// ends with the group's result, so LogSumExp can run its two phases (maximum, then the sum of
// shifted exponentials) in one kernel.
// ArgMax / ArgMin: one warp per output when the axis is innermost, else one thread per output.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/cuda/cuda_math.cuh"
#include "kernels/cuda/cuda_reduce.cuh"
#include "kernels/cuda/reduce.cuh"

namespace kiln::cuda {
namespace {

constexpr int kGroupY = 8;  // blockDim.y
constexpr int64_t kWarpGroupMaxCount = 4096;  // longer inner reductions take a block per output

enum GroupMode { kWarpGroup, kBlockGroup, kColumnGroup };

// Accumulator: float for float types, long long (wrapping) for integers.
template <typename T>
using AccT = std::conditional_t<std::is_integral_v<T>, long long, float>;

template <typename T>
__device__ __forceinline__ AccT<T> Load(T v) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<long long>(v);
  } else {
    return ToF(v);
  }
}

template <typename T>
__device__ __forceinline__ T Store(AccT<T> a) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(a);
  } else {
    return FromF<T>(a);
  }
}

__device__ __forceinline__ bool IsNan(float v) { return isnan(v); }
__device__ __forceinline__ bool IsNan(long long) { return false; }

__device__ __forceinline__ float PosInf() { return __int_as_float(0x7f800000); }

__device__ __forceinline__ long long WrapAdd(long long a, long long b) {
  return static_cast<long long>(static_cast<unsigned long long>(a) +
                                static_cast<unsigned long long>(b));
}
__device__ __forceinline__ float WrapAdd(float a, float b) { return a + b; }
__device__ __forceinline__ long long WrapMul(long long a, long long b) {
  return static_cast<long long>(static_cast<unsigned long long>(a) *
                                static_cast<unsigned long long>(b));
}
__device__ __forceinline__ float WrapMul(float a, float b) { return a * b; }
__device__ __forceinline__ long long Abs(long long a) {
  return a < 0 ? static_cast<long long>(0ull - static_cast<unsigned long long>(a)) : a;
}
__device__ __forceinline__ float Abs(float a) { return fabsf(a); }

// The identity of the op's combine for element type T.
template <typename T>
__device__ __forceinline__ AccT<T> Identity(ReduceKind k) {
  using A = AccT<T>;
  if (k == ReduceKind::kProd) return A(1);
  if constexpr (std::is_integral_v<T>) {
    if (k == ReduceKind::kMax) return static_cast<A>(std::numeric_limits<T>::lowest());
    if (k == ReduceKind::kMin) return static_cast<A>(std::numeric_limits<T>::max());
  } else {
    if (k == ReduceKind::kMax || k == ReduceKind::kLogSumExp) return NegInf();
    if (k == ReduceKind::kMin) return PosInf();
  }
  return A(0);
}

// One element's contribution before combining.
template <typename A>
__device__ __forceinline__ A Pre(ReduceKind k, A v) {
  switch (k) {
    case ReduceKind::kL1: return Abs(v);
    case ReduceKind::kL2:
    case ReduceKind::kSumSquare: return WrapMul(v, v);
    default: return v;
  }
}

// Combine of two partial results; Max / Min propagate NaN.
template <typename A>
__device__ __forceinline__ A Combine(ReduceKind k, A a, A b) {
  switch (k) {
    case ReduceKind::kProd: return WrapMul(a, b);
    case ReduceKind::kMax:
    case ReduceKind::kLogSumExp:  // its first phase
      return (b > a || IsNan(b)) ? b : a;
    case ReduceKind::kMin: return (b < a || IsNan(b)) ? b : a;
    default: return WrapAdd(a, b);
  }
}

__device__ __forceinline__ int64_t Offset(int rank, const int64_t* dims, const int64_t* strides,
                                          int64_t i) {
  if (rank == 1) return i * strides[0];
  int64_t off = 0;
  for (int d = rank - 1; d >= 0; --d) {
    off += (i % dims[d]) * strides[d];
    i /= dims[d];
  }
  return off;
}

// Shared scratch for group combines: 256 accumulators (long long is the widest).
struct alignas(8) GroupScratch {
  unsigned char bytes[32 * kGroupY * sizeof(long long)];
};

// Combines `v` over the thread group of `kMode`; every thread of the group gets the result. The
// block modes synchronize: all threads of the block must call it together.
template <int kMode, typename A>
__device__ __forceinline__ A GroupCombine(ReduceKind k, A v, GroupScratch* scratch) {
  A* smem = reinterpret_cast<A*>(scratch->bytes);
  const int tx = threadIdx.x, ty = threadIdx.y;
  if (kMode == kWarpGroup || kMode == kBlockGroup) {
    for (int o = 16; o > 0; o >>= 1) v = Combine(k, v, __shfl_xor_sync(kFullMask, v, o));
    if (kMode == kWarpGroup) return v;
    if (tx == 0) smem[ty] = v;
    __syncthreads();
    v = smem[0];
    for (int w = 1; w < kGroupY; ++w) v = Combine(k, v, smem[w]);
    __syncthreads();
    return v;
  }
  smem[ty * 32 + tx] = v;
  __syncthreads();
  v = smem[tx];
  for (int w = 1; w < kGroupY; ++w) v = Combine(k, v, smem[w * 32 + tx]);
  __syncthreads();
  return v;
}

template <int kMode, typename T>
__global__ void ReduceKernel(ReduceKind k, const T* __restrict__ x, T* __restrict__ y,
                             ReduceShape s) {
  using A = AccT<T>;
  __shared__ GroupScratch scratch;
  const int tx = threadIdx.x, ty = threadIdx.y;
  // This thread's first output, the output stride, and its share of the reduced indices.
  int64_t first, step, r_begin, r_step;
  if (kMode == kWarpGroup) {
    first = static_cast<int64_t>(blockIdx.x) * kGroupY + ty;
    step = static_cast<int64_t>(gridDim.x) * kGroupY;
    r_begin = tx;
    r_step = 32;
  } else if (kMode == kBlockGroup) {
    first = blockIdx.x;
    step = gridDim.x;
    r_begin = ty * 32 + tx;
    r_step = 32 * kGroupY;
  } else {
    first = static_cast<int64_t>(blockIdx.x) * 32;  // + tx below
    step = static_cast<int64_t>(gridDim.x) * 32;
    r_begin = ty;
    r_step = kGroupY;
  }
  for (int64_t o0 = first; o0 < s.out_count; o0 += step) {
    const int64_t o = kMode == kColumnGroup ? o0 + tx : o0;
    const bool valid = o < s.out_count;  // false only for tail columns
    const T* xo = x + (valid ? Offset(s.kept_rank, s.kept_dims, s.kept_strides, o) : 0);
    const int64_t count = valid ? s.red_count : 0;
    A result;
    if (k == ReduceKind::kLogSumExp) {
      float m = NegInf();
      for (int64_t r = r_begin; r < count; r += r_step) {
        m = Combine(k, m, static_cast<float>(Load(xo[Offset(s.red_rank, s.red_dims,
                                                            s.red_strides, r)])));
      }
      m = GroupCombine<kMode>(k, m, &scratch);
      // A non-finite maximum shifts by 0 (NaN stays NaN).
      if (isinf(m)) m = 0.0f;
      float sum = 0.0f;
      for (int64_t r = r_begin; r < count; r += r_step) {
        const float v = static_cast<float>(
            Load(xo[Offset(s.red_rank, s.red_dims, s.red_strides, r)]));
        sum += expf(v - m);
      }
      sum = GroupCombine<kMode>(ReduceKind::kSum, sum, &scratch);
      result = static_cast<A>(logf(sum) + m);
    } else {
      A acc = Identity<T>(k);
      for (int64_t r = r_begin; r < count; r += r_step) {
        acc = Combine(k, acc, Pre(k, Load(xo[Offset(s.red_rank, s.red_dims, s.red_strides, r)])));
      }
      acc = GroupCombine<kMode>(k, acc, &scratch);
      if constexpr (std::is_integral_v<T>) {
        if (k == ReduceKind::kMean) {
          acc = s.red_count == 0 ? A(0) : acc / static_cast<A>(s.red_count);
        }
      } else {
        if (k == ReduceKind::kMean) acc = acc / static_cast<float>(s.red_count);
        if (k == ReduceKind::kL2) acc = sqrtf(acc);
        if (k == ReduceKind::kLogSum) acc = logf(acc);
      }
      result = acc;
    }
    const bool writer = kMode == kColumnGroup ? ty == 0
                        : kMode == kWarpGroup ? tx == 0
                                              : tx == 0 && ty == 0;
    if (valid && writer) y[o] = Store<T>(result);
  }
}

template <typename T>
cudaError_t LaunchReduceTyped(ReduceKind k, const void* xv, void* yv, const ReduceShape& s,
                              cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  T* y = static_cast<T*>(yv);
  const dim3 block(32, kGroupY);
  const bool inner_reduced = s.red_rank > 0 && s.red_strides[s.red_rank - 1] == 1;
  if (inner_reduced && s.red_count >= 64) {
    if (s.red_count <= kWarpGroupMaxCount) {
      ReduceKernel<kWarpGroup, T>
          <<<Grid((s.out_count + kGroupY - 1) / kGroupY), block, 0, stream>>>(k, x, y, s);
    } else {
      ReduceKernel<kBlockGroup, T><<<Grid(s.out_count), block, 0, stream>>>(k, x, y, s);
    }
  } else {
    ReduceKernel<kColumnGroup, T><<<Grid((s.out_count + 31) / 32), block, 0, stream>>>(k, x, y, s);
  }
  return cudaGetLastError();
}

// ---------------------------------------------------------------------------------------------
// ArgMax / ArgMin.

// Whether (v, i) is preferred to (best, bi); bi < 0 marks "nothing yet".
template <typename A>
__device__ __forceinline__ bool Prefer(A v, int64_t i, A best, int64_t bi, bool is_max,
                                       bool last) {
  if (i < 0) return false;
  if (bi < 0) return true;
  const bool vn = IsNan(v), bn = IsNan(best);
  if (vn || bn) {
    if (vn && bn) return last ? i > bi : i < bi;
    return vn;
  }
  if (v != best) return is_max ? v > best : v < best;
  return last ? i > bi : i < bi;
}

template <typename T>
__global__ void ArgReduceWarpKernel(bool is_max, bool last, const T* __restrict__ x,
                                    int64_t* __restrict__ y, int64_t outer, int64_t n) {
  using A = AccT<T>;
  const int lane = threadIdx.x;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; o < outer;
       o += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const T* xr = x + o * n;
    A best = A(0);
    int64_t bi = -1;
    for (int64_t k = lane; k < n; k += 32) {
      const A v = Load(xr[k]);
      if (Prefer(v, k, best, bi, is_max, last)) {
        best = v;
        bi = k;
      }
    }
    for (int off = 16; off > 0; off >>= 1) {
      const A ov = __shfl_xor_sync(kFullMask, best, off);
      const long long oi = __shfl_xor_sync(kFullMask, static_cast<long long>(bi), off);
      if (Prefer(ov, oi, best, bi, is_max, last)) {
        best = ov;
        bi = oi;
      }
    }
    if (lane == 0) y[o] = bi < 0 ? 0 : bi;
  }
}

template <typename T>
__global__ void ArgReduceColumnKernel(bool is_max, bool last, const T* __restrict__ x,
                                      int64_t* __restrict__ y, int64_t outer, int64_t n,
                                      int64_t inner) {
  using A = AccT<T>;
  const int64_t total = outer * inner;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < total;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t o = c / inner, i = c % inner;
    const T* xc = x + o * n * inner + i;
    A best = Load(xc[0]);
    int64_t bi = 0;
    for (int64_t k = 1; k < n; ++k) {
      const A v = Load(xc[k * inner]);
      if (Prefer(v, k, best, bi, is_max, last)) {
        best = v;
        bi = k;
      }
    }
    y[c] = bi;
  }
}

template <typename T>
cudaError_t LaunchArgTyped(bool is_max, bool last, const void* xv, int64_t* y, int64_t outer,
                           int64_t n, int64_t inner, cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  if (inner == 1 && n >= 32) {
    const dim3 block(32, kGroupY);
    ArgReduceWarpKernel<T><<<Grid((outer + kGroupY - 1) / kGroupY), block, 0, stream>>>(
        is_max, last, x, y, outer, n);
  } else {
    ArgReduceColumnKernel<T><<<GridFor(outer * inner), kBlock, 0, stream>>>(is_max, last, x, y,
                                                                           outer, n, inner);
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchReduce(ReduceKind k, DataType dtype, const void* x, void* y,
                         const ReduceShape& s, cudaStream_t stream) {
  if (s.out_count <= 0) return cudaSuccess;
  if (s.kept_rank > kReduceMaxDims || s.red_rank > kReduceMaxDims) return cudaErrorInvalidValue;
  const bool int_ok = k == ReduceKind::kSum || k == ReduceKind::kMean || k == ReduceKind::kMax ||
                      k == ReduceKind::kMin || k == ReduceKind::kProd || k == ReduceKind::kL1 ||
                      k == ReduceKind::kSumSquare;
  switch (dtype) {
    case DataType::kFloat: return LaunchReduceTyped<float>(k, x, y, s, stream);
    case DataType::kFloat16: return LaunchReduceTyped<__half>(k, x, y, s, stream);
    case DataType::kBFloat16: return LaunchReduceTyped<__nv_bfloat16>(k, x, y, s, stream);
    case DataType::kInt32:
      return int_ok ? LaunchReduceTyped<int32_t>(k, x, y, s, stream) : cudaErrorInvalidValue;
    case DataType::kInt64:
      return int_ok ? LaunchReduceTyped<int64_t>(k, x, y, s, stream) : cudaErrorInvalidValue;
    default: return cudaErrorInvalidValue;
  }
}

cudaError_t LaunchArgReduce(bool is_max, bool select_last, DataType dtype, const void* x,
                            int64_t* y, int64_t outer, int64_t n, int64_t inner,
                            cudaStream_t stream) {
  if (outer <= 0 || inner <= 0) return cudaSuccess;
  if (n <= 0) return cudaErrorInvalidValue;
  switch (dtype) {
    case DataType::kFloat:
      return LaunchArgTyped<float>(is_max, select_last, x, y, outer, n, inner, stream);
    case DataType::kFloat16:
      return LaunchArgTyped<__half>(is_max, select_last, x, y, outer, n, inner, stream);
    case DataType::kBFloat16:
      return LaunchArgTyped<__nv_bfloat16>(is_max, select_last, x, y, outer, n, inner, stream);
    case DataType::kInt32:
      return LaunchArgTyped<int32_t>(is_max, select_last, x, y, outer, n, inner, stream);
    case DataType::kInt64:
      return LaunchArgTyped<int64_t>(is_max, select_last, x, y, outer, n, inner, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace kiln::cuda
