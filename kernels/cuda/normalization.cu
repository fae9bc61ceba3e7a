// CUDA kernels of the normalization family (see normalization.cuh).
//
// Row normalization (LayerNormalization, RMSNormalization, InstanceNormalization,
// GroupNormalization): one warp per row when rows are short (cols <= 1024), else one block of 256
// threads per row. Two passes over the row in float (the mean, then the mean of squared
// deviations), then the affine write. Parameters and statistics are read / written through a
// switch on their element type (uniform per launch, so it costs no divergence).
// BatchNormalization: a block per channel for the training statistics, a thread per parameter for
// the coefficients, a grid-stride loop over X for the affine map.
#include <cmath>
#include <cstdint>

#include "kernels/cuda/cuda_math.cuh"
#include "kernels/cuda/cuda_reduce.cuh"
#include "kernels/cuda/normalization.cuh"

namespace kiln::cuda {
namespace {

constexpr int kRowBlock = 256;
constexpr int kWarpRows = 8;
constexpr int64_t kMaxWarpRowLength = 1024;
__device__ __forceinline__ float LoadAsFloat(const void* p, DataType dt, int64_t i) {
  switch (dt) {
    case DataType::kFloat16: return __half2float(static_cast<const __half*>(p)[i]);
    case DataType::kBFloat16: return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
    case DataType::kDouble: return static_cast<float>(static_cast<const double*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

__device__ __forceinline__ void StoreFromFloat(void* p, DataType dt, int64_t i, float v) {
  switch (dt) {
    case DataType::kFloat16: static_cast<__half*>(p)[i] = __float2half_rn(v); break;
    case DataType::kBFloat16:
      static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(v);
      break;
    case DataType::kDouble: static_cast<double*>(p)[i] = static_cast<double>(v); break;
    default: static_cast<float*>(p)[i] = v; break;
  }
}

// The parameter value for element (r, j) of a [rows, cols] problem; `dflt` when absent.
__device__ __forceinline__ float ParamAt(const NormParam& p, int64_t r, int64_t j, int64_t cols,
                                         float dflt) {
  if (p.data == nullptr) return dflt;
  int64_t idx = 0;
  switch (p.mode) {
    case NormParam::kPerColumn: idx = j; break;
    case NormParam::kPerRow: idx = r % p.modulus; break;
    case NormParam::kGroupChannel: idx = (r % p.modulus) * p.per_group + j / p.spatial; break;
    default: {
      int64_t e = p.full ? r * cols + j : j;
      for (int d = p.rank - 1; d >= 0; --d) {
        idx += (e % p.dims[d]) * p.strides[d];
        e /= p.dims[d];
      }
      break;
    }
  }
  return LoadAsFloat(p.data, p.dtype, idx);
}

template <typename T, bool kWarp>
__global__ void RowNormKernel(RowNormArgs a) {
  __shared__ float red[32];
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  const int64_t cols = a.cols;
  const int tid = threadIdx.x;
  const int width = kWarp ? 32 : static_cast<int>(blockDim.x);
  const int64_t first = kWarp ? static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y
                              : static_cast<int64_t>(blockIdx.x);
  const int64_t step = kWarp ? static_cast<int64_t>(gridDim.x) * blockDim.y : gridDim.x;
  const float count = static_cast<float>(cols);
  for (int64_t r = first; r < a.rows; r += step) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    float mean = 0.0f;
    if (!a.rms) {
      float s = 0.0f;
      for (int64_t j = tid; j < cols; j += width) s += ToF(xr[j]);
      mean = RowSum<kWarp>(s, red) / count;
    }
    float q = 0.0f;
    for (int64_t j = tid; j < cols; j += width) {
      const float dv = ToF(xr[j]) - mean;
      q += dv * dv;
    }
    const float var = RowSum<kWarp>(q, red) / count;
    const float inv = 1.0f / sqrtf(var + a.epsilon);
    for (int64_t j = tid; j < cols; j += width) {
      float v = (ToF(xr[j]) - mean) * inv * ParamAt(a.scale, r, j, cols, 1.0f);
      if (a.bias.data != nullptr) v += ParamAt(a.bias, r, j, cols, 0.0f);
      yr[j] = FromF<T>(v);
    }
    if (tid == 0) {
      if (a.mean_out != nullptr) StoreFromFloat(a.mean_out, a.mean_dtype, r, mean);
      if (a.inv_out != nullptr) StoreFromFloat(a.inv_out, a.inv_dtype, r, inv);
    }
  }
}

template <typename T>
cudaError_t LaunchRowNormTyped(const RowNormArgs& a, cudaStream_t stream) {
  if (a.cols <= kMaxWarpRowLength) {
    const dim3 block(32, kWarpRows);
    RowNormKernel<T, true><<<Grid((a.rows + kWarpRows - 1) / kWarpRows), block, 0, stream>>>(a);
  } else {
    RowNormKernel<T, false><<<Grid(a.rows), kRowBlock, 0, stream>>>(a);
  }
  return cudaGetLastError();
}

// ---------------------------------------------------------------------------------------------
// BatchNormalization.

// Block per channel: mean and population variance over (n, s).
template <typename T>
__global__ void BatchNormStatsKernel(BatchNormArgs a, float* stats) {
  __shared__ float red[32];
  const T* x = static_cast<const T*>(a.x);
  const int64_t count = a.n * a.s;
  for (int64_t ci = blockIdx.x; ci < a.c; ci += gridDim.x) {
    float sum = 0.0f;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const int64_t ni = k / a.s, si = k % a.s;
      sum += ToF(x[(ni * a.c + ci) * a.s + si]);
    }
    sum = RowSum<false>(sum, red);
    const float mean = count > 0 ? sum / static_cast<float>(count) : 0.0f;
    float q = 0.0f;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const int64_t ni = k / a.s, si = k % a.s;
      const float dv = ToF(x[(ni * a.c + ci) * a.s + si]) - mean;
      q += dv * dv;
    }
    q = RowSum<false>(q, red);
    if (threadIdx.x == 0) {
      stats[ci] = mean;
      stats[a.c + ci] = count > 0 ? q / static_cast<float>(count) : 0.0f;
    }
  }
}

__global__ void BatchNormCoefficientsKernel(BatchNormArgs a, const float* batch_stats,
                                            float* coef) {
  const int64_t per = a.spatial ? a.c : a.c * a.s;
  for (int64_t q = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; q < per;
       q += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float m = batch_stats ? batch_stats[q] : LoadAsFloat(a.mean, a.mean_dtype, q);
    const float v = batch_stats ? batch_stats[a.c + q] : LoadAsFloat(a.var, a.var_dtype, q);
    coef[q] = m;
    coef[per + q] = LoadAsFloat(a.scale, a.scale_dtype, q) / sqrtf(v + a.epsilon);
    coef[2 * per + q] = LoadAsFloat(a.bias, a.bias_dtype, q);
  }
}

template <typename T>
__global__ void BatchNormApplyKernel(BatchNormArgs a, const float* __restrict__ coef) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  const int64_t total = a.n * a.c * a.s;
  const int64_t per = a.spatial ? a.c : a.c * a.s;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t cs = e % (a.c * a.s);  // ci * s + si
    const int64_t q = a.spatial ? cs / a.s : cs;
    y[e] = FromF<T>((ToF(x[e]) - coef[q]) * coef[per + q] + coef[2 * per + q]);
  }
}

__global__ void BatchNormTrainingOutputsKernel(BatchNormArgs a, const float* batch_stats,
                                               float momentum, void* o0, void* o1, void* o2,
                                               void* o3, DataType t0, DataType t1, DataType t2,
                                               DataType t3) {
  for (int64_t ci = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; ci < a.c;
       ci += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float bm = batch_stats[ci], bv = batch_stats[a.c + ci];
    if (o0) {
      StoreFromFloat(o0, t0, ci,
                     LoadAsFloat(a.mean, a.mean_dtype, ci) * momentum + bm * (1.0f - momentum));
    }
    if (o1) {
      StoreFromFloat(o1, t1, ci,
                     LoadAsFloat(a.var, a.var_dtype, ci) * momentum + bv * (1.0f - momentum));
    }
    if (o2) StoreFromFloat(o2, t2, ci, bm);
    if (o3) StoreFromFloat(o3, t3, ci, bv);
  }
}

bool IsParamType(DataType dt) {
  return dt == DataType::kFloat || dt == DataType::kFloat16 || dt == DataType::kBFloat16 ||
         dt == DataType::kDouble;
}

}  // namespace

cudaError_t LaunchRowNorm(const RowNormArgs& a, cudaStream_t stream) {
  if (a.rows <= 0) return cudaSuccess;
  if ((a.scale.data && !IsParamType(a.scale.dtype)) ||
      (a.bias.data && !IsParamType(a.bias.dtype)) ||
      (a.mean_out && !IsParamType(a.mean_dtype)) || (a.inv_out && !IsParamType(a.inv_dtype))) {
    return cudaErrorInvalidValue;
  }
  switch (a.dtype) {
    case DataType::kFloat: return LaunchRowNormTyped<float>(a, stream);
    case DataType::kFloat16: return LaunchRowNormTyped<__half>(a, stream);
    case DataType::kBFloat16: return LaunchRowNormTyped<__nv_bfloat16>(a, stream);
    default: return cudaErrorInvalidValue;
  }
}

cudaError_t LaunchBatchNormStats(const BatchNormArgs& a, float* stats, cudaStream_t stream) {
  if (a.c <= 0) return cudaSuccess;
  switch (a.dtype) {
    case DataType::kFloat:
      BatchNormStatsKernel<float><<<Grid(a.c), kRowBlock, 0, stream>>>(a, stats);
      break;
    case DataType::kFloat16:
      BatchNormStatsKernel<__half><<<Grid(a.c), kRowBlock, 0, stream>>>(a, stats);
      break;
    case DataType::kBFloat16:
      BatchNormStatsKernel<__nv_bfloat16><<<Grid(a.c), kRowBlock, 0, stream>>>(a, stats);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t LaunchBatchNormCoefficients(const BatchNormArgs& a, const float* batch_stats,
                                        float* coef, cudaStream_t stream) {
  const int64_t per = a.spatial ? a.c : a.c * a.s;
  if (per <= 0) return cudaSuccess;
  if (!IsParamType(a.scale_dtype) || !IsParamType(a.bias_dtype) ||
      (!batch_stats && (!IsParamType(a.mean_dtype) || !IsParamType(a.var_dtype)))) {
    return cudaErrorInvalidValue;
  }
  BatchNormCoefficientsKernel<<<GridFor(per), kBlock, 0, stream>>>(a, batch_stats, coef);
  return cudaGetLastError();
}

cudaError_t LaunchBatchNormApply(const BatchNormArgs& a, const float* coef, cudaStream_t stream) {
  const int64_t total = a.n * a.c * a.s;
  if (total <= 0) return cudaSuccess;
  switch (a.dtype) {
    case DataType::kFloat:
      BatchNormApplyKernel<float><<<GridFor(total), kBlock, 0, stream>>>(a, coef);
      break;
    case DataType::kFloat16:
      BatchNormApplyKernel<__half><<<GridFor(total), kBlock, 0, stream>>>(a, coef);
      break;
    case DataType::kBFloat16:
      BatchNormApplyKernel<__nv_bfloat16><<<GridFor(total), kBlock, 0, stream>>>(a, coef);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t LaunchBatchNormTrainingOutputs(const BatchNormArgs& a, const float* batch_stats,
                                           float momentum, void* const outs[4],
                                           const DataType out_dtypes[4], cudaStream_t stream) {
  if (a.c <= 0) return cudaSuccess;
  for (int k = 0; k < 4; ++k) {
    if (outs[k] && !IsParamType(out_dtypes[k])) return cudaErrorInvalidValue;
  }
  if ((outs[0] && !IsParamType(a.mean_dtype)) || (outs[1] && !IsParamType(a.var_dtype))) {
    return cudaErrorInvalidValue;
  }
  BatchNormTrainingOutputsKernel<<<GridFor(a.c), kBlock, 0, stream>>>(
      a, batch_stats, momentum, outs[0], outs[1], outs[2], outs[3], out_dtypes[0], out_dtypes[1],
      out_dtypes[2], out_dtypes[3]);
  return cudaGetLastError();
}

namespace {

template <typename T>
__global__ void LrnKernel(LrnArgs a) {
  const int64_t total = a.n * a.c * a.s;
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t ci = (i / a.s) % a.c;
    const int64_t base = i - ci * a.s;  // element (ni, 0, si)
    const int64_t lo = ci - a.before < 0 ? 0 : ci - a.before;
    const int64_t hi = ci + a.after > a.c - 1 ? a.c - 1 : ci + a.after;
    float sum = 0.f;
    for (int64_t k = lo; k <= hi; ++k) {
      const float v = ToF(x[base + k * a.s]);
      sum += v * v;
    }
    y[i] = FromF<T>(ToF(x[i]) / powf(a.bias + a.scale * sum, a.beta));
  }
}

}  // namespace

cudaError_t LaunchLrn(const LrnArgs& a, cudaStream_t stream) {
  const int64_t total = a.n * a.c * a.s;
  if (total == 0) return cudaSuccess;
  switch (a.dtype) {
    case DataType::kFloat: LrnKernel<float><<<GridFor(total), kBlock, 0, stream>>>(a); break;
    case DataType::kFloat16: LrnKernel<__half><<<GridFor(total), kBlock, 0, stream>>>(a); break;
    case DataType::kBFloat16:
      LrnKernel<__nv_bfloat16><<<GridFor(total), kBlock, 0, stream>>>(a);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace kiln::cuda
