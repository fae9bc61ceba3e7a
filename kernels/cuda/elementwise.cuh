// Launchers of the CUDA element-wise kernels (binary.cu: binary ops and Where; unary.cu: unary
// ops, Clip, IsNaN / IsInf; cast.cu: Cast), and what their host sides share. Plain device pointers, element counts, small structs by
// value and a stream; each launcher queues its kernel and returns cudaGetLastError(), or
// cudaErrorInvalidValue for a type / op combination it was not built for (the host side checks
// types first, so that is a backstop, never a wrong result). Bool tensors are bytes: 0 is false,
// anything else true; kernels write 0 / 1.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_common.h"

namespace kiln::cuda {

// Element types of the element-wise kernels.
enum class ElemType : int {
  kFloat,
  kHalf,      // float16 (__half)
  kBFloat16,  // __nv_bfloat16
  kDouble,    // Cast only
  kInt32,
  kInt64,
  kInt8,   // Cast only
  kUint8,  // Cast only
  kBool,
};

// The ElemType of a tensor element type; false for the others.
inline bool ToElemType(DataType t, ElemType* e) {
  switch (t) {
    case DataType::kFloat:
      *e = ElemType::kFloat;
      return true;
    case DataType::kFloat16:
      *e = ElemType::kHalf;
      return true;
    case DataType::kBFloat16:
      *e = ElemType::kBFloat16;
      return true;
    case DataType::kDouble:
      *e = ElemType::kDouble;
      return true;
    case DataType::kInt32:
      *e = ElemType::kInt32;
      return true;
    case DataType::kInt64:
      *e = ElemType::kInt64;
      return true;
    case DataType::kInt8:
      *e = ElemType::kInt8;
      return true;
    case DataType::kUint8:
      *e = ElemType::kUint8;
      return true;
    case DataType::kBool:
      *e = ElemType::kBool;
      return true;
    default:
      return false;
  }
}

// out = op(a, b) with numpy broadcasting described by `shape` (inputs 0 and 1 of its strides).
// 16-bit floats compute in float. Integer Add/Sub/Mul wrap; integer Div and Mod by zero give 0
// (the CPU kernels report an error instead; a GPU kernel cannot).
enum class BinaryOp : int {
  kAdd,             // float types, int32, int64
  kSub,             // "
  kMul,             // "
  kDiv,             // "; integer division truncates toward zero, INT_MIN / -1 wraps
  kMax,             // "; a NaN first operand propagates (as the CPU kernel)
  kMin,             // "
  kMod,             // "; the sign of the divisor (numpy mod)
  kFMod,            // "; the sign of the dividend (C fmod)
  kPRelu,           // float types: a < 0 ? a * b : a
  kPow,             // a: float types; b: float types, int32 or int64 (b's type may differ from a's)
  kEqual,           // bool output; float types, int32, int64, bool
  kLess,            // bool output; float types, int32, int64
  kGreater,         // "
  kLessOrEqual,     // "
  kGreaterOrEqual,  // "
  kAnd,             // bool
  kOr,              // bool
  kXor,             // bool
};
// Output element type: bool for comparisons and logical ops, else a_type.
cudaError_t LaunchBinary(BinaryOp op, ElemType a_type, ElemType b_type, const void* a,
                         const void* b, void* out, int64_t n, const BroadcastShape& shape,
                         cudaStream_t stream);

// out = cond ? x : y (strides 0, 1, 2 of `shape`) for elements of elem_bytes = 1, 2, 4 or 8.
cudaError_t LaunchWhere(const void* cond, const void* x, const void* y, void* out, int elem_bytes,
                        int64_t n, const BroadcastShape& shape, cudaStream_t stream);

enum class UnaryOp : int {
  // float types, int32 and int64:
  kAbs,
  kNeg,
  kSign,
  kRelu,
  // float types only:
  kReciprocal,
  kSqrt,
  kExp,
  kLog,
  kCeil,
  kFloor,
  kRound,
  kSigmoid,
  kTanh,
  kErf,
  kSin,
  kCos,
  kTan,
  kAsin,
  kAcos,
  kAtan,
  kSinh,
  kCosh,
  kAsinh,
  kAcosh,
  kAtanh,
  kLeakyRelu,    // alpha
  kElu,          // alpha
  kSelu,         // alpha, beta = gamma
  kCelu,         // alpha (nonzero)
  kHardSigmoid,  // alpha, beta
  kHardSwish,
  kSoftplus,
  kSoftsign,
  kThresholdedRelu,  // alpha
  kGelu,             // approximate="none"
  kGeluTanh,         // approximate="tanh"
  kMish,
  kSwish,        // alpha
  kDivByScalar,  // x / alpha (Mean's last step)
  // bool only:
  kNot,
};
struct UnaryParams {
  float alpha = 0.0f;
  float beta = 0.0f;
};
// y = op(x), element i of y written by the thread that read element i of x (in-place safe).
cudaError_t LaunchUnary(UnaryOp op, ElemType type, const void* x, void* y, int64_t n,
                        UnaryParams params, cudaStream_t stream);

// y = min(max(x, lo), hi) (NaN stays NaN; lo > hi gives hi). Float types use the float bounds,
// int32 / int64 the integer ones.
struct ClipBounds {
  float lo_f = 0.0f, hi_f = 0.0f;
  int64_t lo_i = 0, hi_i = 0;
};
cudaError_t LaunchClip(ElemType type, const void* x, void* y, int64_t n, ClipBounds bounds,
                       cudaStream_t stream);

// Bool y: IsNaN (is_nan) or IsInf with its detect flags. Float types.
cudaError_t LaunchClassify(ElemType type, const void* x, void* y, int64_t n, bool is_nan,
                           bool detect_positive, bool detect_negative, cudaStream_t stream);

// y = Cast(x) between any two different ElemTypes, with the CPU Cast's semantics: floats to
// integers truncate toward zero into int64 (NaN and out-of-range give INT64_MIN), then integers
// wrap to the target width; anything to bool is x != 0; integers to 16-bit floats round once
// (through double).
cudaError_t LaunchCast(ElemType from, ElemType to, const void* x, void* y, int64_t n,
                       cudaStream_t stream);

// The element types of the arithmetic ops: the float types, int32 and int64.
inline const std::vector<DataType> kArithTypes = {DataType::kFloat, DataType::kFloat16,
                                                  DataType::kBFloat16, DataType::kInt32,
                                                  DataType::kInt64};

// The error of an element-wise kernel given an element type it has no code for.
inline Status UnsupportedType(const KernelContext& ctx, DataType t) {
  return ctx.Unsupported(std::string("element type ") + DataTypeName(t) +
                         " is not supported by the CUDA kernel");
}

}  // namespace kiln::cuda

// ---- Device-side helpers shared by binary.cu, unary.cu and cast.cu ----------------------------
#ifdef __CUDACC__
#include <type_traits>

#include "kernels/cuda/cuda_math.cuh"

namespace kiln::cuda::ew {

// The storage type of a bool element (one byte; any nonzero byte reads as true).
struct BoolByte {
  uint8_t v;
};

// The type an element computes in: float for the 16-bit floats, bool for BoolByte, else itself.
template <typename T>
struct ComputeOf {
  using type = T;
};
template <>
struct ComputeOf<__half> {
  using type = float;
};
template <>
struct ComputeOf<__nv_bfloat16> {
  using type = float;
};
template <>
struct ComputeOf<BoolByte> {
  using type = bool;
};
template <typename T>
using ComputeT = typename ComputeOf<T>::type;

template <typename T>
__device__ __forceinline__ ComputeT<T> Load(T v) {
  if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>) {
    return ToF<T>(v);
  } else if constexpr (std::is_same_v<T, BoolByte>) {
    return v.v != 0;
  } else {
    return v;
  }
}
template <typename T, typename C>
__device__ __forceinline__ T Store(C v) {
  if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>) {
    return FromF<T>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, BoolByte>) {
    return BoolByte{static_cast<uint8_t>(v != C(0) ? 1 : 0)};
  } else {
    return static_cast<T>(v);
  }
}

// Two's complement wrap-around for integers (no signed-overflow UB); plain arithmetic otherwise.
template <typename C>
__device__ __forceinline__ C WrapAdd(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    using U = std::make_unsigned_t<C>;
    return static_cast<C>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}
template <typename C>
__device__ __forceinline__ C WrapSub(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    using U = std::make_unsigned_t<C>;
    return static_cast<C>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return a - b;
  }
}
template <typename C>
__device__ __forceinline__ C WrapMul(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    using U = std::make_unsigned_t<C>;
    return static_cast<C>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

// Calls f(T{}) with the storage type of `t`; cudaErrorInvalidValue for types not listed in the
// call's Allowed flags (see the launchers).
template <typename F>
cudaError_t DispatchElem(ElemType t, F&& f) {
  switch (t) {
    case ElemType::kFloat:
      return f(float{});
    case ElemType::kHalf:
      return f(__half{});
    case ElemType::kBFloat16:
      return f(__nv_bfloat16{});
    case ElemType::kDouble:
      return f(double{});
    case ElemType::kInt32:
      return f(int32_t{});
    case ElemType::kInt64:
      return f(int64_t{});
    case ElemType::kInt8:
      return f(int8_t{});
    case ElemType::kUint8:
      return f(uint8_t{});
    case ElemType::kBool:
      return f(BoolByte{});
  }
  return cudaErrorInvalidValue;
}

template <typename T>
constexpr bool kIsFloat16Or32 =
    std::is_same_v<T, float> || std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;
template <typename T>
constexpr bool kIsArith =
    kIsFloat16Or32<T> || std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>;

// Grid-stride loop bounds for n elements.
#define KILN_EW_FOR(Index, i, n)                                                     \
  for (Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<Index>(gridDim.x) * blockDim.x)

}  // namespace kiln::cuda::ew
#endif  // __CUDACC__
