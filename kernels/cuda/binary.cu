// CUDA kernels of the broadcasting binary ops (Add, Sub, Mul, Div, Max, Min, Mod, PRelu, Pow,
// comparisons, And / Or / Xor) and Where. One generic kernel, templated on the operand / output
// storage types and a functor; the index type is 32-bit when the output has < 2^31 elements.
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

// The element offsets of `K` inputs at output index i. rank <= 1 (the common equal-shape and
// scalar cases after MakeBroadcastShape merged dims) needs no division. The loop is unrolled over
// kMaxDims so the shape is read from the parameter space at fixed offsets.
template <int K, typename Index>
__device__ __forceinline__ void BroadcastOffsets(const BroadcastShape& s, Index i, Index* off) {
#pragma unroll
  for (int k = 0; k < K; ++k) off[k] = 0;
  if (s.rank == 1) {
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] = i * static_cast<Index>(s.strides[k][0]);
    return;
  }
  Index rem = i;
#pragma unroll
  for (int d = kMaxDims - 1; d >= 0; --d) {
    if (d < s.rank) {
      const Index dim = static_cast<Index>(s.out_dims[d]);
      const Index q = rem / dim;
      const Index c = rem - q * dim;
      rem = q;
#pragma unroll
      for (int k = 0; k < K; ++k) off[k] += c * static_cast<Index>(s.strides[k][d]);
    }
  }
}

// out[i] = op(a[ia], b[ib]) computed in the operands' compute types. No __restrict__: out may be
// a's buffer (in-place); each element of out is written by the thread that read it.
template <typename TA, typename TB, typename TO, typename Op, typename Index>
__global__ void BinaryKernel(const TA* a, const TB* b, TO* out, Index n, BroadcastShape s, Op op) {
  KILN_EW_FOR(Index, i, n) {
    Index off[2];
    BroadcastOffsets<2>(s, i, off);
    out[i] = Store<TO>(op(Load(a[off[0]]), Load(b[off[1]])));
  }
}

template <typename TA, typename TB, typename TO, typename Op>
cudaError_t RunBinary(const void* a, const void* b, void* out, int64_t n, const BroadcastShape& s,
                      Op op, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  const auto* pa = static_cast<const TA*>(a);
  const auto* pb = static_cast<const TB*>(b);
  auto* po = static_cast<TO*>(out);
  if (n <= INT32_MAX) {
    BinaryKernel<TA, TB, TO, Op, uint32_t>
        <<<GridFor(n), kBlock, 0, stream>>>(pa, pb, po, static_cast<uint32_t>(n), s, op);
  } else {
    BinaryKernel<TA, TB, TO, Op, int64_t><<<GridFor(n), kBlock, 0, stream>>>(pa, pb, po, n, s, op);
  }
  return cudaGetLastError();
}

// ---- Functors on compute types ------------------------------------------------------------------

struct AddOp {
  template <typename C>
  __device__ C operator()(C a, C b) const {
    return ew::WrapAdd(a, b);
  }
};
struct SubOp {
  template <typename C>
  __device__ C operator()(C a, C b) const {
    return ew::WrapSub(a, b);
  }
};
struct MulOp {
  template <typename C>
  __device__ C operator()(C a, C b) const {
    return ew::WrapMul(a, b);
  }
};
struct DivOp {
  template <typename C>
  __device__ C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return 0;                      // defined as 0 (the CPU reports an error)
      if (b == -1) return ew::WrapSub(C(0), a);  // INT_MIN / -1 wraps instead of trapping
      return a / b;                              // truncates toward zero
    } else {
      return a / b;
    }
  }
};
// NaN in the first operand propagates; a NaN second operand loses (as the CPU kernel).
struct MaxOp {
  template <typename C>
  __device__ C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      return a < b ? b : a;
    } else {
      return a != a ? a : (a < b ? b : a);
    }
  }
};
struct MinOp {
  template <typename C>
  __device__ C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      return b < a ? b : a;
    } else {
      return a != a ? a : (b < a ? b : a);
    }
  }
};
// fmod = false: the result has the divisor's sign (numpy mod); true: the dividend's (C fmod).
template <bool kFmod>
struct ModOp {
  template <typename C>
  __device__ C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return 0;   // defined as 0 (the CPU reports an error)
      if (b == -1) return 0;  // INT_MIN % -1 would trap
      C r = a % b;
      if (!kFmod && r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    } else {
      float r = fmodf(a, b);
      if (!kFmod) {
        if (r != 0.0f) {
          if ((b < 0.0f) != (r < 0.0f)) r += b;
        } else {
          r = copysignf(0.0f, b);
        }
      }
      return r;
    }
  }
};
struct PReluOp {
  __device__ float operator()(float x, float slope) const { return x < 0.0f ? x * slope : x; }
};
// Float base; the exponent (float or integer) converts to float. x^2 is x * x.
struct PowOp {
  template <typename CB>
  __device__ float operator()(float a, CB b) const {
    const float e = static_cast<float>(b);
    return e == 2.0f ? a * a : powf(a, e);
  }
};
struct EqualOp {
  template <typename C>
  __device__ bool operator()(C a, C b) const {
    return a == b;
  }
};
struct LessOp {
  template <typename C>
  __device__ bool operator()(C a, C b) const {
    return a < b;
  }
};
struct GreaterOp {
  template <typename C>
  __device__ bool operator()(C a, C b) const {
    return a > b;
  }
};
struct LessOrEqualOp {
  template <typename C>
  __device__ bool operator()(C a, C b) const {
    return a <= b;
  }
};
struct GreaterOrEqualOp {
  template <typename C>
  __device__ bool operator()(C a, C b) const {
    return a >= b;
  }
};
struct AndOp {
  __device__ bool operator()(bool a, bool b) const { return a && b; }
};
struct OrOp {
  __device__ bool operator()(bool a, bool b) const { return a || b; }
};
struct XorOp {
  __device__ bool operator()(bool a, bool b) const { return a != b; }
};

// Ops whose operands share the storage type T.
template <typename T>
cudaError_t SameTypeBinary(BinaryOp op, const void* a, const void* b, void* out, int64_t n,
                           const BroadcastShape& s, cudaStream_t st) {
  if constexpr (std::is_same_v<T, BoolByte>) {
    switch (op) {
      case BinaryOp::kAnd:
        return RunBinary<T, T, T>(a, b, out, n, s, AndOp{}, st);
      case BinaryOp::kOr:
        return RunBinary<T, T, T>(a, b, out, n, s, OrOp{}, st);
      case BinaryOp::kXor:
        return RunBinary<T, T, T>(a, b, out, n, s, XorOp{}, st);
      case BinaryOp::kEqual:
        return RunBinary<T, T, T>(a, b, out, n, s, EqualOp{}, st);
      default:
        return cudaErrorInvalidValue;
    }
  } else if constexpr (ew::kIsArith<T>) {
    switch (op) {
      case BinaryOp::kAdd:
        return RunBinary<T, T, T>(a, b, out, n, s, AddOp{}, st);
      case BinaryOp::kSub:
        return RunBinary<T, T, T>(a, b, out, n, s, SubOp{}, st);
      case BinaryOp::kMul:
        return RunBinary<T, T, T>(a, b, out, n, s, MulOp{}, st);
      case BinaryOp::kDiv:
        return RunBinary<T, T, T>(a, b, out, n, s, DivOp{}, st);
      case BinaryOp::kMax:
        return RunBinary<T, T, T>(a, b, out, n, s, MaxOp{}, st);
      case BinaryOp::kMin:
        return RunBinary<T, T, T>(a, b, out, n, s, MinOp{}, st);
      case BinaryOp::kMod:
        return RunBinary<T, T, T>(a, b, out, n, s, ModOp<false>{}, st);
      case BinaryOp::kFMod:
        return RunBinary<T, T, T>(a, b, out, n, s, ModOp<true>{}, st);
      case BinaryOp::kEqual:
        return RunBinary<T, T, BoolByte>(a, b, out, n, s, EqualOp{}, st);
      case BinaryOp::kLess:
        return RunBinary<T, T, BoolByte>(a, b, out, n, s, LessOp{}, st);
      case BinaryOp::kGreater:
        return RunBinary<T, T, BoolByte>(a, b, out, n, s, GreaterOp{}, st);
      case BinaryOp::kLessOrEqual:
        return RunBinary<T, T, BoolByte>(a, b, out, n, s, LessOrEqualOp{}, st);
      case BinaryOp::kGreaterOrEqual:
        return RunBinary<T, T, BoolByte>(a, b, out, n, s, GreaterOrEqualOp{}, st);
      case BinaryOp::kPRelu:
        if constexpr (ew::kIsFloat16Or32<T>) {
          return RunBinary<T, T, T>(a, b, out, n, s, PReluOp{}, st);
        }
        return cudaErrorInvalidValue;
      default:
        return cudaErrorInvalidValue;
    }
  } else {
    return cudaErrorInvalidValue;
  }
}

// Where over elements of type T (any type of that size: only bytes move).
template <typename T, typename Index>
__global__ void WhereKernel(const uint8_t* c, const T* x, const T* y, T* out, Index n,
                            BroadcastShape s) {
  KILN_EW_FOR(Index, i, n) {
    Index off[3];
    BroadcastOffsets<3>(s, i, off);
    out[i] = c[off[0]] != 0 ? x[off[1]] : y[off[2]];
  }
}

template <typename T>
cudaError_t RunWhere(const void* c, const void* x, const void* y, void* out, int64_t n,
                     const BroadcastShape& s, cudaStream_t stream) {
  const auto* pc = static_cast<const uint8_t*>(c);
  const auto* px = static_cast<const T*>(x);
  const auto* py = static_cast<const T*>(y);
  auto* po = static_cast<T*>(out);
  if (n <= INT32_MAX) {
    WhereKernel<T, uint32_t>
        <<<GridFor(n), kBlock, 0, stream>>>(pc, px, py, po, static_cast<uint32_t>(n), s);
  } else {
    WhereKernel<T, int64_t><<<GridFor(n), kBlock, 0, stream>>>(pc, px, py, po, n, s);
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchBinary(BinaryOp op, ElemType a_type, ElemType b_type, const void* a,
                         const void* b, void* out, int64_t n, const BroadcastShape& shape,
                         cudaStream_t stream) {
  if (op == BinaryOp::kPow) {
    return ew::DispatchElem(a_type, [&](auto base) -> cudaError_t {
      using TA = decltype(base);
      if constexpr (ew::kIsFloat16Or32<TA>) {
        return ew::DispatchElem(b_type, [&](auto expo) -> cudaError_t {
          using TB = decltype(expo);
          if constexpr (ew::kIsArith<TB>) {
            return RunBinary<TA, TB, TA>(a, b, out, n, shape, PowOp{}, stream);
          } else {
            return cudaErrorInvalidValue;
          }
        });
      } else {
        return cudaErrorInvalidValue;
      }
    });
  }
  if (a_type != b_type) return cudaErrorInvalidValue;
  return ew::DispatchElem(a_type, [&](auto tag) -> cudaError_t {
    return SameTypeBinary<decltype(tag)>(op, a, b, out, n, shape, stream);
  });
}

cudaError_t LaunchWhere(const void* cond, const void* x, const void* y, void* out, int elem_bytes,
                        int64_t n, const BroadcastShape& shape, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  switch (elem_bytes) {
    case 1:
      return RunWhere<uint8_t>(cond, x, y, out, n, shape, stream);
    case 2:
      return RunWhere<uint16_t>(cond, x, y, out, n, shape, stream);
    case 4:
      return RunWhere<uint32_t>(cond, x, y, out, n, shape, stream);
    case 8:
      return RunWhere<uint64_t>(cond, x, y, out, n, shape, stream);
    default:
      return cudaErrorInvalidValue;
  }
}

}  // namespace kiln::cuda
