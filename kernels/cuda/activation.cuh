// The activation epilogue of kiln's fused operators on CUDA (docs/kiln_ops.md: FusedConv,
// FusedGemm, FusedMatMul): a plain description of the activation (host and device), and, for
// device code only, the activation function and a bias + activation kernel that
// matmul.cu and conv.cu launch after their GEMM / convolution.
//
// FusedActivation is parsed host-side from the node's attributes by ParseCudaActivation
// (activation.h). Float semantics follow kernels/cpu/activation.h exactly (comparison order, so
// NaN handling matches the CPU).
#pragma once

#include <cstdint>

#include "kernels/ops/activation_kind.h"

namespace kiln::cuda {

// Element types of the float kernels of matmul.cu / conv.cu.
enum class FloatElem : int { kFloat = 0, kHalf = 1, kBFloat16 = 2 };

// The CPU's enum (kernels/ops/activation_kind.h): one list of activations for both devices.
using FusedActivationKind = ops::ActivationKind;

// LeakyRelu: alpha; Clip: alpha = min, beta = max; HardSigmoid: alpha, beta. Others ignore them.
struct FusedActivation {
  FusedActivationKind kind = FusedActivationKind::kNone;
  float alpha = 0.0f;
  float beta = 0.0f;
};

}  // namespace kiln::cuda

#if defined(__CUDACC__)

#include "kernels/cuda/cuda_math.cuh"

namespace kiln::cuda {

__device__ __forceinline__ float ApplyFusedActivation(const FusedActivation& a, float x) {
  switch (a.kind) {
    case FusedActivationKind::kNone:
      return x;
    case FusedActivationKind::kRelu:
      return x < 0.0f ? 0.0f : x;  // NaN stays NaN
    case FusedActivationKind::kLeakyRelu:
      return x < 0.0f ? a.alpha * x : x;
    case FusedActivationKind::kClip: {
      // min(max(x, lo), hi): with lo > hi every element becomes hi, as in ONNX Clip.
      const float v = x < a.alpha ? a.alpha : x;
      return v > a.beta ? a.beta : v;
    }
    case FusedActivationKind::kSigmoid:
      return 1.0f / (1.0f + expf(-x));
    case FusedActivationKind::kTanh:
      return tanhf(x);
    case FusedActivationKind::kHardSigmoid: {
      const float v = a.alpha * x + a.beta;
      return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
    case FusedActivationKind::kHardSwish: {
      const float v = x * (1.0f / 6.0f) + 0.5f;
      return x * (v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v));
    }
    case FusedActivationKind::kGelu:
      return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case FusedActivationKind::kGeluTanh:
      // sqrt(2 / pi) = 0.7978845608...
      return 0.5f * x * (1.0f + tanhf((x + 0.044715f * x * x * x) * 0.79788456080286536f));
  }
  return x;
}

namespace {  // internal linkage: each .cu that includes this gets its own instantiations

// y[i] = act(y[i] + bias[(i / inner) % bias_len]) over `total` elements (bias may be null).
// Conv: inner = spatial size, bias_len = channels. MatMul / Gemm: inner = 1, bias_len = N.
// Each element is read then written by the same thread (safe in place).
template <typename T>
__global__ void BiasActivationKernel(T* y, const T* bias, int64_t total, int64_t inner,
                                     int64_t bias_len, FusedActivation act) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    float v = ToF<T>(y[i]);
    if (bias != nullptr) v += ToF<T>(bias[(i / inner) % bias_len]);
    y[i] = FromF<T>(ApplyFusedActivation(act, v));
  }
}

template <typename T>
cudaError_t LaunchBiasActivationT(void* y, const void* bias, int64_t total, int64_t inner,
                                  int64_t bias_len, FusedActivation act, cudaStream_t stream) {
  if (total <= 0) return cudaSuccess;
  BiasActivationKernel<T><<<GridFor(total), kBlock, 0, stream>>>(
      static_cast<T*>(y), static_cast<const T*>(bias), total, inner < 1 ? 1 : inner,
      bias_len < 1 ? 1 : bias_len, act);
  return cudaGetLastError();
}

// Switch on the element type; cudaErrorInvalidValue for an unknown one.
inline cudaError_t LaunchBiasActivation(FloatElem elem, void* y, const void* bias, int64_t total,
                                        int64_t inner, int64_t bias_len, FusedActivation act,
                                        cudaStream_t stream) {
  switch (elem) {
    case FloatElem::kFloat:
      return LaunchBiasActivationT<float>(y, bias, total, inner, bias_len, act, stream);
    case FloatElem::kHalf:
      return LaunchBiasActivationT<__half>(y, bias, total, inner, bias_len, act, stream);
    case FloatElem::kBFloat16:
      return LaunchBiasActivationT<__nv_bfloat16>(y, bias, total, inner, bias_len, act, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace
}  // namespace kiln::cuda

#endif  // __CUDACC__
