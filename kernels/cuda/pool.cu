// Direct pooling kernels (semantics of kernels/cpu/pool.cc): one thread per output element with a
// grid-stride loop, taps visited in the CPU's order (so max's NaN and tie handling, and its index,
// match), float accumulation for float16 / bfloat16; global pooling with one block per plane and
// a shared-memory reduction.
#include <cfloat>
#include <cstdint>

#include "kernels/cuda/cuda_math.cuh"
#include "kernels/cuda/pool.cuh"

namespace kiln::cuda {
namespace {

// The value of a window with no tap inside the input (as the CPU: the type's lowest value, for
// float16 / bfloat16 float's lowest rounded, i.e. -inf).
template <typename T>
__device__ __forceinline__ T EmptyMax() {
  return FromF<T>(-FLT_MAX);
}
template <>
__device__ __forceinline__ int8_t EmptyMax<int8_t>() {
  return -128;
}
template <>
__device__ __forceinline__ uint8_t EmptyMax<uint8_t>() {
  return 0;
}

// The taps of output position o along one dim: [lo, hi) inside the input, start coordinate, and
// the count inside the padded extent.
struct Taps {
  int64_t start, lo, hi, padded;
};

__device__ __forceinline__ Taps DimTaps(int64_t o, int64_t in, int64_t k, int64_t s, int64_t d,
                                        int64_t pb, int64_t pe) {
  Taps t;
  t.start = o * s - pb;
  t.lo = t.start < 0 ? (-t.start + d - 1) / d : 0;
  t.hi = in - t.start <= 0 ? 0 : min(k, (in - t.start + d - 1) / d);
  if (t.hi < t.lo) t.hi = t.lo;
  const int64_t limit = in + pe - t.start;  // taps with coordinate < in + pad_end
  t.padded = limit <= 0 ? 0 : min(k, (limit + d - 1) / d);
  return t;
}

template <typename T, bool kFloatType>
__global__ void PoolKernel(const T* x, T* y, int64_t* indices, PoolParams p) {
  const int64_t out_plane = p.out[0] * p.out[1] * p.out[2];
  const int64_t in_plane = p.in[0] * p.in[1] * p.in[2];
  const int64_t total = p.planes * out_plane;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    const int64_t nc = i / out_plane;
    int64_t r = i % out_plane;
    const int64_t o2 = r % p.out[2];
    r /= p.out[2];
    const int64_t o1 = r % p.out[1];
    const int64_t o0 = r / p.out[1];
    const Taps t0 = DimTaps(o0, p.in[0], p.k[0], p.s[0], p.d[0], p.pb[0], p.pe[0]);
    const Taps t1 = DimTaps(o1, p.in[1], p.k[1], p.s[1], p.d[1], p.pb[1], p.pe[1]);
    const Taps t2 = DimTaps(o2, p.in[2], p.k[2], p.s[2], p.d[2], p.pb[2], p.pe[2]);
    const T* xp = x + nc * in_plane;
    if (p.op == PoolOp::kMax) {
      bool found = false;
      T best = EmptyMax<T>();
      float best_f = -FLT_MAX;
      int64_t b0 = 0, b1 = 0, b2 = 0;
      for (int64_t k0 = t0.lo; k0 < t0.hi; ++k0) {
        const int64_t i0 = t0.start + k0 * p.d[0];
        for (int64_t k1 = t1.lo; k1 < t1.hi; ++k1) {
          const int64_t i1 = t1.start + k1 * p.d[1];
          const T* row = xp + (i0 * p.in[1] + i1) * p.in[2];
          for (int64_t k2 = t2.lo; k2 < t2.hi; ++k2) {
            const int64_t i2 = t2.start + k2 * p.d[2];
            const T v = row[i2];
            const float vf = ToF<T>(v);  // exact for int8 / uint8
            if (!found || vf > best_f) {
              found = true;
              best = v;
              best_f = vf;
              b0 = i0;
              b1 = i1;
              b2 = i2;
            }
          }
        }
      }
      y[i] = best;
      if (indices != nullptr) {
        const int64_t flat = p.storage_order == 0 ? (b0 * p.in[1] + b1) * p.in[2] + b2
                                                  : b0 + b1 * p.in[0] + b2 * p.in[0] * p.in[1];
        indices[i] = nc * in_plane + flat;
      }
      continue;
    }
    if constexpr (kFloatType) {
      float sum = 0.0f;
      for (int64_t k0 = t0.lo; k0 < t0.hi; ++k0) {
        const int64_t i0 = t0.start + k0 * p.d[0];
        for (int64_t k1 = t1.lo; k1 < t1.hi; ++k1) {
          const int64_t i1 = t1.start + k1 * p.d[1];
          const T* row = xp + (i0 * p.in[1] + i1) * p.in[2];
          for (int64_t k2 = t2.lo; k2 < t2.hi; ++k2) {
            const float v = ToF<T>(row[t2.start + k2 * p.d[2]]);
            if (p.op == PoolOp::kAvg) {
              sum += v;
            } else if (p.p == 2.0f) {
              sum += v * v;
            } else if (p.p == 1.0f) {
              sum += fabsf(v);
            } else {
              sum += powf(fabsf(v), p.p);
            }
          }
        }
      }
      float res;
      if (p.op == PoolOp::kAvg) {
        const int64_t count = p.count_include_pad
                                  ? t0.padded * t1.padded * t2.padded
                                  : (t0.hi - t0.lo) * (t1.hi - t1.lo) * (t2.hi - t2.lo);
        res = sum / static_cast<float>(count);
      } else if (p.p == 2.0f) {
        res = sqrtf(sum);
      } else if (p.p == 1.0f) {
        res = sum;
      } else {
        res = powf(sum, 1.0f / p.p);
      }
      y[i] = FromF<T>(res);
    }
  }
}

constexpr int kReduceThreads = 256;

template <typename T>
__global__ void GlobalPoolKernel(const T* x, T* y, int64_t planes, int64_t plane, PoolOp op,
                                 float p) {
  __shared__ float partial[kReduceThreads];
  for (int64_t nc = blockIdx.x; nc < planes; nc += gridDim.x) {
    const T* xp = x + nc * plane;
    float acc = op == PoolOp::kMax ? -FLT_MAX : 0.0f;
    for (int64_t j = threadIdx.x; j < plane; j += blockDim.x) {
      const float v = ToF<T>(xp[j]);
      if (op == PoolOp::kMax) {
        acc = acc < v ? v : acc;  // std::max(acc, v): NaN is skipped, as on the CPU
      } else if (op == PoolOp::kAvg) {
        acc += v;
      } else {
        acc += powf(fabsf(v), p);
      }
    }
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) {
        const float a = partial[threadIdx.x], b = partial[threadIdx.x + half];
        partial[threadIdx.x] = op == PoolOp::kMax ? (a < b ? b : a) : a + b;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      const float total = partial[0];
      float res;
      if (op == PoolOp::kMax) {
        res = total;
      } else if (op == PoolOp::kAvg) {
        res = total / static_cast<float>(plane);
      } else {
        res = powf(total, 1.0f / p);
      }
      y[nc] = FromF<T>(res);
    }
    __syncthreads();  // partial is reused by the next plane
  }
}

template <typename T, bool kFloatType>
cudaError_t PoolT(const void* x, void* y, int64_t* indices, const PoolParams& p,
                  cudaStream_t stream) {
  if (!kFloatType && p.op != PoolOp::kMax) return cudaErrorInvalidValue;
  const int64_t total = p.planes * p.out[0] * p.out[1] * p.out[2];
  if (total <= 0) return cudaSuccess;
  PoolKernel<T, kFloatType><<<GridFor(total), kBlock, 0, stream>>>(static_cast<const T*>(x),
                                                                   static_cast<T*>(y), indices, p);
  return cudaGetLastError();
}

template <typename T>
cudaError_t GlobalPoolT(PoolOp op, const void* x, void* y, int64_t planes, int64_t plane, float p,
                        cudaStream_t stream) {
  if (planes <= 0) return cudaSuccess;
  const unsigned grid = static_cast<unsigned>(planes < 65535 * 8 ? planes : 65535 * 8);
  GlobalPoolKernel<T><<<grid, kReduceThreads, 0, stream>>>(
      static_cast<const T*>(x), static_cast<T*>(y), planes, plane, op, p);
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchPool(PoolElem elem, const void* x, void* y, int64_t* indices, const PoolParams& p,
                       cudaStream_t stream) {
  switch (elem) {
    case PoolElem::kFloat:
      return PoolT<float, true>(x, y, indices, p, stream);
    case PoolElem::kHalf:
      return PoolT<__half, true>(x, y, indices, p, stream);
    case PoolElem::kBFloat16:
      return PoolT<__nv_bfloat16, true>(x, y, indices, p, stream);
    case PoolElem::kInt8:
      return PoolT<int8_t, false>(x, y, indices, p, stream);
    case PoolElem::kUint8:
      return PoolT<uint8_t, false>(x, y, indices, p, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t LaunchGlobalPool(PoolElem elem, PoolOp op, const void* x, void* y, int64_t planes,
                             int64_t plane, float p, cudaStream_t stream) {
  switch (elem) {
    case PoolElem::kFloat:
      return GlobalPoolT<float>(op, x, y, planes, plane, p, stream);
    case PoolElem::kHalf:
      return GlobalPoolT<__half>(op, x, y, planes, plane, p, stream);
    case PoolElem::kBFloat16:
      return GlobalPoolT<__nv_bfloat16>(op, x, y, planes, plane, p, stream);
    default:
      return cudaErrorInvalidValue;
  }
}

}  // namespace kiln::cuda
