// CUDA kernels of the unary element-wise ops (math, activations, Not), Clip and IsNaN / IsInf
// (Cast is in cast.cu). Each is one grid-stride kernel templated on the storage type and a
// functor; 16-bit floats compute in float with the same formulas as the CPU kernels
// (kernels/cpu/unary.cc).
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/cuda_math.cuh"
#include "kernels/cuda/elementwise.cuh"

namespace kiln::cuda {
namespace {

using ew::BoolByte;
using ew::ComputeT;
using ew::Load;
using ew::Store;

// y[i] = op(x[i]). No __restrict__: y may be x (in-place).
template <typename T, typename Op>
__global__ void UnaryKernel(const T* x, T* y, int64_t n, Op op) {
  KILN_EW_FOR(int64_t, i, n) { y[i] = Store<T>(op(Load(x[i]))); }
}

template <typename T, typename Op>
cudaError_t RunUnary(const void* x, void* y, int64_t n, Op op, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  UnaryKernel<T, Op>
      <<<GridFor(n), kBlock, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n, op);
  return cudaGetLastError();
}

// ---- Functors -----------------------------------------------------------------------------------

// Ops for floats and integers (integers wrap: Abs / Neg of INT_MIN give INT_MIN).
struct AbsOp {
  template <typename C>
  __device__ C operator()(C x) const {
    if constexpr (std::is_integral_v<C>) {
      return x < 0 ? ew::WrapSub(C(0), x) : x;
    } else {
      return fabsf(x);
    }
  }
};
struct NegOp {
  template <typename C>
  __device__ C operator()(C x) const {
    return ew::WrapSub(C(0), x);
  }
};
struct SignOp {
  template <typename C>
  __device__ C operator()(C x) const {
    return x > C(0) ? C(1) : (x < C(0) ? C(-1) : x);
  }
};
struct ReluOp {
  template <typename C>
  __device__ C operator()(C x) const {
    return x < C(0) ? C(0) : x;
  }  // NaN stays NaN
};
struct NotOp {
  __device__ bool operator()(bool x) const { return !x; }
};

__device__ __forceinline__ float Logistic(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}
__device__ __forceinline__ float SoftplusOf(float x) {
  return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}
__device__ __forceinline__ float Clamp01(float v) {
  return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);  // NaN stays NaN
}

// Float-only ops: `expr` of x, alpha and beta.
#define KILN_FLOAT_UNARY_(Name, expr)                           \
  struct Name {                                                 \
    float alpha, beta;                                          \
    __device__ float operator()(float x) const { return expr; } \
  }
KILN_FLOAT_UNARY_(ReciprocalOp, 1.0f / x);
KILN_FLOAT_UNARY_(SqrtOp, sqrtf(x));
KILN_FLOAT_UNARY_(ExpOp, expf(x));
KILN_FLOAT_UNARY_(LogOp, logf(x));
KILN_FLOAT_UNARY_(CeilOp, ceilf(x));
KILN_FLOAT_UNARY_(FloorOp, floorf(x));
KILN_FLOAT_UNARY_(RoundOp, rintf(x));  // half to even
KILN_FLOAT_UNARY_(SigmoidOp, Logistic(x));
KILN_FLOAT_UNARY_(TanhOp, tanhf(x));
KILN_FLOAT_UNARY_(ErfOp, erff(x));
KILN_FLOAT_UNARY_(SinOp, sinf(x));
KILN_FLOAT_UNARY_(CosOp, cosf(x));
KILN_FLOAT_UNARY_(TanOp, tanf(x));
KILN_FLOAT_UNARY_(AsinOp, asinf(x));
KILN_FLOAT_UNARY_(AcosOp, acosf(x));
KILN_FLOAT_UNARY_(AtanOp, atanf(x));
KILN_FLOAT_UNARY_(SinhOp, sinhf(x));
KILN_FLOAT_UNARY_(CoshOp, coshf(x));
KILN_FLOAT_UNARY_(AsinhOp, asinhf(x));
KILN_FLOAT_UNARY_(AcoshOp, acoshf(x));
KILN_FLOAT_UNARY_(AtanhOp, atanhf(x));
KILN_FLOAT_UNARY_(LeakyReluOp, x < 0.0f ? alpha * x : x);
KILN_FLOAT_UNARY_(EluOp, x < 0.0f ? alpha * expm1f(x) : x);
KILN_FLOAT_UNARY_(SeluOp, x > 0.0f ? beta * x : beta * alpha * expm1f(x));  // beta = gamma
KILN_FLOAT_UNARY_(CeluOp, x > 0.0f ? x : alpha * expm1f(x / alpha));
KILN_FLOAT_UNARY_(HardSigmoidOp, Clamp01(alpha* x + beta));
KILN_FLOAT_UNARY_(HardSwishOp, x* Clamp01(x / 6.0f + 0.5f));
KILN_FLOAT_UNARY_(SoftplusOp, SoftplusOf(x));
KILN_FLOAT_UNARY_(SoftsignOp, x / (1.0f + fabsf(x)));
KILN_FLOAT_UNARY_(ThresholdedReluOp, x > alpha ? x : 0.0f);
KILN_FLOAT_UNARY_(GeluOp, 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)));
KILN_FLOAT_UNARY_(GeluTanhOp,
                  0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x))));
KILN_FLOAT_UNARY_(MishOp, x* tanhf(SoftplusOf(x)));
KILN_FLOAT_UNARY_(SwishOp, x* Logistic(alpha* x));
KILN_FLOAT_UNARY_(DivByScalarOp, x / alpha);
#undef KILN_FLOAT_UNARY_

template <typename T>
cudaError_t UnaryFor(UnaryOp op, const void* x, void* y, int64_t n, UnaryParams p,
                     cudaStream_t st) {
  if constexpr (std::is_same_v<T, BoolByte>) {
    if (op == UnaryOp::kNot) return RunUnary<T>(x, y, n, NotOp{}, st);
    return cudaErrorInvalidValue;
  } else if constexpr (ew::kIsArith<T>) {
    switch (op) {
      case UnaryOp::kAbs:
        return RunUnary<T>(x, y, n, AbsOp{}, st);
      case UnaryOp::kNeg:
        return RunUnary<T>(x, y, n, NegOp{}, st);
      case UnaryOp::kSign:
        return RunUnary<T>(x, y, n, SignOp{}, st);
      case UnaryOp::kRelu:
        return RunUnary<T>(x, y, n, ReluOp{}, st);
      default:
        break;
    }
    if constexpr (ew::kIsFloat16Or32<T>) {
      const float a = p.alpha, b = p.beta;
      switch (op) {
#define KILN_CASE_(Op, Functor) \
  case UnaryOp::Op:             \
    return RunUnary<T>(x, y, n, Functor{a, b}, st)
        KILN_CASE_(kReciprocal, ReciprocalOp);
        KILN_CASE_(kSqrt, SqrtOp);
        KILN_CASE_(kExp, ExpOp);
        KILN_CASE_(kLog, LogOp);
        KILN_CASE_(kCeil, CeilOp);
        KILN_CASE_(kFloor, FloorOp);
        KILN_CASE_(kRound, RoundOp);
        KILN_CASE_(kSigmoid, SigmoidOp);
        KILN_CASE_(kTanh, TanhOp);
        KILN_CASE_(kErf, ErfOp);
        KILN_CASE_(kSin, SinOp);
        KILN_CASE_(kCos, CosOp);
        KILN_CASE_(kTan, TanOp);
        KILN_CASE_(kAsin, AsinOp);
        KILN_CASE_(kAcos, AcosOp);
        KILN_CASE_(kAtan, AtanOp);
        KILN_CASE_(kSinh, SinhOp);
        KILN_CASE_(kCosh, CoshOp);
        KILN_CASE_(kAsinh, AsinhOp);
        KILN_CASE_(kAcosh, AcoshOp);
        KILN_CASE_(kAtanh, AtanhOp);
        KILN_CASE_(kLeakyRelu, LeakyReluOp);
        KILN_CASE_(kElu, EluOp);
        KILN_CASE_(kSelu, SeluOp);
        KILN_CASE_(kCelu, CeluOp);
        KILN_CASE_(kHardSigmoid, HardSigmoidOp);
        KILN_CASE_(kHardSwish, HardSwishOp);
        KILN_CASE_(kSoftplus, SoftplusOp);
        KILN_CASE_(kSoftsign, SoftsignOp);
        KILN_CASE_(kThresholdedRelu, ThresholdedReluOp);
        KILN_CASE_(kGelu, GeluOp);
        KILN_CASE_(kGeluTanh, GeluTanhOp);
        KILN_CASE_(kMish, MishOp);
        KILN_CASE_(kSwish, SwishOp);
        KILN_CASE_(kDivByScalar, DivByScalarOp);
#undef KILN_CASE_
        default:
          break;
      }
    }
    return cudaErrorInvalidValue;
  } else {
    return cudaErrorInvalidValue;
  }
}

// ---- Clip ---------------------------------------------------------------------------------------

template <typename T, typename C>
__global__ void ClipKernel(const T* x, T* y, int64_t n, C lo, C hi) {
  KILN_EW_FOR(int64_t, i, n) {
    C v = Load(x[i]);
    v = v < lo ? lo : v;
    v = hi < v ? hi : v;
    y[i] = Store<T>(v);
  }
}

// ---- IsNaN / IsInf ------------------------------------------------------------------------------

template <typename T>
__global__ void ClassifyKernel(const T* x, BoolByte* y, int64_t n, bool is_nan, bool pos,
                               bool neg) {
  KILN_EW_FOR(int64_t, i, n) {
    const float v = Load(x[i]);
    bool r;
    if (is_nan) {
      r = isnan(v);
    } else {
      r = isinf(v) && ((v > 0.0f && pos) || (v < 0.0f && neg));
    }
    y[i] = Store<BoolByte>(r);
  }
}

}  // namespace

cudaError_t LaunchUnary(UnaryOp op, ElemType type, const void* x, void* y, int64_t n,
                        UnaryParams params, cudaStream_t stream) {
  return ew::DispatchElem(type, [&](auto tag) -> cudaError_t {
    return UnaryFor<decltype(tag)>(op, x, y, n, params, stream);
  });
}

cudaError_t LaunchClip(ElemType type, const void* x, void* y, int64_t n, ClipBounds bounds,
                       cudaStream_t stream) {
  return ew::DispatchElem(type, [&](auto tag) -> cudaError_t {
    using T = decltype(tag);
    if constexpr (ew::kIsArith<T>) {
      if (n <= 0) return cudaSuccess;
      using C = ComputeT<T>;
      C lo, hi;
      if constexpr (std::is_integral_v<C>) {
        lo = static_cast<C>(bounds.lo_i);
        hi = static_cast<C>(bounds.hi_i);
      } else {
        lo = bounds.lo_f;
        hi = bounds.hi_f;
      }
      ClipKernel<T, C><<<GridFor(n), kBlock, 0, stream>>>(static_cast<const T*>(x),
                                                          static_cast<T*>(y), n, lo, hi);
      return cudaGetLastError();
    } else {
      return cudaErrorInvalidValue;
    }
  });
}

cudaError_t LaunchClassify(ElemType type, const void* x, void* y, int64_t n, bool is_nan,
                           bool detect_positive, bool detect_negative, cudaStream_t stream) {
  return ew::DispatchElem(type, [&](auto tag) -> cudaError_t {
    using T = decltype(tag);
    if constexpr (ew::kIsFloat16Or32<T>) {
      if (n <= 0) return cudaSuccess;
      ClassifyKernel<T><<<GridFor(n), kBlock, 0, stream>>>(static_cast<const T*>(x),
                                                           static_cast<BoolByte*>(y), n, is_nan,
                                                           detect_positive, detect_negative);
      return cudaGetLastError();
    } else {
      return cudaErrorInvalidValue;
    }
  });
}

}  // namespace kiln::cuda
