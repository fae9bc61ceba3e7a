// Unary elementwise kernels (every op registered from its first opset version onwards):
//   Abs, Neg, Reciprocal, Sqrt, Exp, Log, Ceil, Floor, Sigmoid, Tanh, Relu @1+  (Relu, Neg: signed
//   ints too; Abs: all numeric)
//   Sin, Cos, Tan, Asin, Acos, Atan @7+, Sinh, Cosh, Asinh, Acosh, Atanh, Erf, Sign @9+, Round @11+
//   IsNaN @9+, IsInf @10+ (floats and float8 types; bool output), Not @1+, BitwiseNot @18+
//   LeakyRelu, Elu, Selu, HardSigmoid, Softplus, Softsign @1+, ThresholdedRelu @10+, Celu @12+,
//   HardSwish @14+, Mish @18+, Gelu @20+ (approximate none/tanh), Swish @24+ (alpha), Shrink @9+
//   Clip @1+ (min/max attributes before opset 11, optional inputs from 11; integer types from 12)
// float16 / bfloat16 are computed in float; float and double use Eigen's vectorised math where it
// has the function.
#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <unsupported/Eigen/SpecialFunctions>
#include <utility>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/register.h"
#include "kernels/cpu/threads.h"
#include "kernels/ops/common.h"
#include "kernels/ops/elementwise_params.h"

#define KILN_SIGNED_TYPES int8_t, int16_t, int32_t, int64_t
#define KILN_SIGNED_NUMERIC_TYPES KILN_FLOAT_TYPES, KILN_SIGNED_TYPES

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// Ops are functors with `template <typename C> C operator()(C x) const` on the compute type. An op
// that sets kEigen also provides Eigen(a), an Eigen array expression used for float and double.
template <typename Op, typename = void>
struct HasEigen : std::false_type {};
template <typename Op>
struct HasEigen<Op, std::void_t<decltype(Op::kEigen)>> : std::true_type {};

Status GetX(KernelContext& ctx, const Tensor** x) {
  *x = ctx.Input(0);
  if (*x == nullptr) return ctx.InvalidArgument("input 0 must be a tensor");
  return Status::Ok();
}

Status UnsupportedType(KernelContext& ctx, DataType t) {
  return ctx.Unsupported(std::string("element type ") + DataTypeName(t) + " is not supported");
}

template <typename Op, typename... Ts>
class UnaryKernel : public Kernel {
 public:
  explicit UnaryKernel(Op op) : op_(std::move(op)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    KILN_RETURN_IF_ERROR(GetX(ctx, &x));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    const int64_t n = x->numel();
    bool ok = Dispatch<Ts...>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* px = x->data<T>();
      T* py = y->data<T>();
      // Split over the kernel threads; transcendental ops cost several times a cheap one per
      // element, so they split at a quarter of the grain.
      const int64_t grain = HasEigen<Op>::value ? kElementwiseGrain / 4 : kElementwiseGrain;
      ParallelFor(n, grain, [&](int64_t begin, int64_t end) {
        const int64_t len = end - begin;
        if constexpr (HasEigen<Op>::value &&
                      (std::is_same_v<T, float> || std::is_same_v<T, double>)) {
          using A = Eigen::Array<T, Eigen::Dynamic, 1>;
          Eigen::Map<A>(py + begin, len) = op_.Eigen(Eigen::Map<const A>(px + begin, len));
        } else {
          for (int64_t i = begin; i < end; ++i) py[i] = Store<T>(op_(Load(px[i])));
        }
      });
    });
    return ok ? Status::Ok() : UnsupportedType(ctx, x->dtype());
  }

 private:
  Op op_;
};

// A factory for UnaryKernel<Op, Ts...> where make(info) builds the op (and may fail).
template <typename... Ts, typename MakeOp>
KernelFactory Unary(MakeOp make) {
  return [make](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto op = make(info);
    using Op = decltype(op);
    return std::unique_ptr<Kernel>(new UnaryKernel<Op, Ts...>(std::move(op)));
  };
}
template <typename Op, typename... Ts>
KernelFactory Unary() {
  return Unary<Ts...>([](const KernelInfo&) { return Op(); });
}

// ---- Ops ----------------------------------------------------------------------------------------

struct AbsOp {
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>) {
      return x;
    } else if constexpr (std::is_integral_v<C>) {
      return x < 0 ? WrapSub(C(0), x) : x;
    } else {
      return std::fabs(x);
    }
  }
};
struct NegOp {
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_integral_v<C>) {
      return WrapSub(C(0), x);
    } else {
      return -x;
    }
  }
};
struct ReciprocalOp {
  static constexpr bool kEigen = true;
  template <typename A>
  auto Eigen(const A& a) const {
    return a.inverse();
  }
  template <typename C>
  C operator()(C x) const {
    return C(1) / x;
  }
};

#define KILN_STD_UNARY_OP_(Name, fn)       \
  struct Name {                            \
    template <typename C>                  \
    C operator()(C x) const {              \
      return std::fn(x);                   \
    }                                      \
  }
#define KILN_EIGEN_UNARY_OP_(Name, fn, efn) \
  struct Name {                             \
    static constexpr bool kEigen = true;    \
    template <typename A>                   \
    auto Eigen(const A& a) const {          \
      return a.efn();                       \
    }                                       \
    template <typename C>                   \
    C operator()(C x) const {               \
      return std::fn(x);                    \
    }                                       \
  }
KILN_EIGEN_UNARY_OP_(SqrtOp, sqrt, sqrt);
KILN_EIGEN_UNARY_OP_(ExpOp, exp, exp);
KILN_EIGEN_UNARY_OP_(LogOp, log, log);
KILN_EIGEN_UNARY_OP_(SinOp, sin, sin);
KILN_EIGEN_UNARY_OP_(CosOp, cos, cos);
KILN_EIGEN_UNARY_OP_(TanhOp, tanh, tanh);
KILN_EIGEN_UNARY_OP_(ErfOp, erf, erf);
KILN_EIGEN_UNARY_OP_(CeilOp, ceil, ceil);
KILN_EIGEN_UNARY_OP_(FloorOp, floor, floor);
KILN_STD_UNARY_OP_(TanOp, tan);
KILN_STD_UNARY_OP_(AsinOp, asin);
KILN_STD_UNARY_OP_(AcosOp, acos);
KILN_STD_UNARY_OP_(AtanOp, atan);
KILN_STD_UNARY_OP_(SinhOp, sinh);
KILN_STD_UNARY_OP_(CoshOp, cosh);
KILN_STD_UNARY_OP_(AsinhOp, asinh);
KILN_STD_UNARY_OP_(AcoshOp, acosh);
KILN_STD_UNARY_OP_(AtanhOp, atanh);
KILN_STD_UNARY_OP_(RoundOp, nearbyint);  // half to even in the default rounding mode
#undef KILN_STD_UNARY_OP_
#undef KILN_EIGEN_UNARY_OP_

struct SignOp {
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>) {
      return x > 0 ? C(1) : C(0);
    } else {
      return x > 0 ? C(1) : (x < 0 ? C(-1) : x);  // keeps NaN and signed zero
    }
  }
};
struct NotOp {
  bool operator()(bool x) const { return !x; }
};
struct BitwiseNotOp {
  template <typename C>
  C operator()(C x) const {
    return static_cast<C>(~x);
  }
};
struct ReluOp {
  template <typename C>
  C operator()(C x) const {
    return x < C(0) ? C(0) : x;  // NaN stays NaN
  }
};
// Numerically stable logistic function.
template <typename C>
C Logistic(C x) {
  if (x >= 0) return C(1) / (C(1) + std::exp(-x));
  C e = std::exp(x);
  return e / (C(1) + e);
}
// log(1 + exp(x)) without overflow.
template <typename C>
C SoftplusOf(C x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}
struct SigmoidOp {
  static constexpr bool kEigen = true;
  template <typename A>
  auto Eigen(const A& a) const {
    return a.logistic();
  }
  template <typename C>
  C operator()(C x) const {
    return Logistic(x);
  }
};
struct LeakyReluOp {
  float alpha;
  template <typename C>
  C operator()(C x) const {
    return x < 0 ? static_cast<C>(alpha) * x : x;
  }
};
struct EluOp {
  float alpha;
  template <typename C>
  C operator()(C x) const {
    return x < 0 ? static_cast<C>(alpha) * std::expm1(x) : x;
  }
};
struct SeluOp {
  float alpha, gamma;
  template <typename C>
  C operator()(C x) const {
    const C g = static_cast<C>(gamma);
    return x > 0 ? g * x : g * static_cast<C>(alpha) * std::expm1(x);
  }
};
struct CeluOp {
  float alpha;
  template <typename C>
  C operator()(C x) const {
    const C a = static_cast<C>(alpha);
    return x > 0 ? x : a * std::expm1(x / a);
  }
};
struct HardSigmoidOp {
  float alpha, beta;
  template <typename C>
  C operator()(C x) const {
    C v = static_cast<C>(alpha) * x + static_cast<C>(beta);
    return v < 0 ? C(0) : (v > 1 ? C(1) : v);
  }
};
struct HardSwishOp {
  template <typename C>
  C operator()(C x) const {
    C v = x / C(6) + C(0.5);
    return x * (v < 0 ? C(0) : (v > 1 ? C(1) : v));
  }
};
struct SoftplusOp {
  template <typename C>
  C operator()(C x) const {
    return SoftplusOf(x);
  }
};
struct SoftsignOp {
  template <typename C>
  C operator()(C x) const {
    return x / (C(1) + std::fabs(x));
  }
};
struct ThresholdedReluOp {
  float alpha;
  template <typename C>
  C operator()(C x) const {
    return x > static_cast<C>(alpha) ? x : C(0);
  }
};
// Gelu with approximate="none": x * Phi(x).
struct GeluErfOp {
  static constexpr bool kEigen = true;
  template <typename A>
  auto Eigen(const A& a) const {
    using S = typename A::Scalar;
    return (a * S(0.5)) * ((a * S(0.7071067811865476)).erf() + S(1));
  }
  template <typename C>
  C operator()(C x) const {
    return C(0.5) * x * (C(1) + std::erf(x * static_cast<C>(0.7071067811865476)));
  }
};
// Gelu with approximate="tanh".
struct GeluTanhOp {
  static constexpr bool kEigen = true;
  template <typename A>
  auto Eigen(const A& a) const {
    using S = typename A::Scalar;
    return (a * S(0.5)) *
           (((a + a.cube() * S(0.044715)) * S(0.7978845608028654)).tanh() + S(1));
  }
  template <typename C>
  C operator()(C x) const {
    const C k = static_cast<C>(0.7978845608028654);  // sqrt(2 / pi)
    return C(0.5) * x * (C(1) + std::tanh(k * (x + C(0.044715) * x * x * x)));
  }
};
struct MishOp {
  template <typename C>
  C operator()(C x) const {
    return x * std::tanh(SoftplusOf(x));
  }
};
struct SwishOp {
  float alpha;
  template <typename C>
  C operator()(C x) const {
    return x * Logistic(static_cast<C>(alpha) * x);
  }
};
struct ShrinkOp {
  float lambd, bias;
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_integral_v<C>) {
      // Integers: compute in double, convert back.
      double v = static_cast<double>(x);
      double r = v < -lambd ? v + bias : (v > lambd ? v - bias : 0.0);
      return SaturatingCast<C>(r);
    } else {
      const C l = static_cast<C>(lambd), b = static_cast<C>(bias);
      return x < -l ? x + b : (x > l ? x - b : C(0));
    }
  }
};

// ---- IsNaN, IsInf -------------------------------------------------------------------------------

// Classifies an element: 0 finite, 1 +inf, -1 -inf, 2 NaN.
template <typename T>
int Classify(T v) {
  if constexpr (std::is_same_v<T, Float8E4M3FN>) {
    return (v.bits & 0x7f) == 0x7f ? 2 : 0;
  } else if constexpr (std::is_same_v<T, Float8E4M3FNUZ> || std::is_same_v<T, Float8E5M2FNUZ>) {
    return v.bits == 0x80 ? 2 : 0;
  } else if constexpr (std::is_same_v<T, Float8E5M2>) {
    if (((v.bits >> 2) & 0x1f) != 0x1f) return 0;
    if ((v.bits & 3) != 0) return 2;
    return (v.bits & 0x80) ? -1 : 1;
  } else {
    auto f = Load(v);
    if (std::isnan(f)) return 2;
    if (std::isinf(f)) return f > 0 ? 1 : -1;
    return 0;
  }
}

#define KILN_FLOAT8_TYPES Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ

// is_nan: IsNaN; otherwise IsInf with the detect flags.
class ClassifyKernel : public Kernel {
 public:
  ClassifyKernel(bool is_nan, bool pos, bool neg) : is_nan_(is_nan), pos_(pos), neg_(neg) {}
  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    KILN_RETURN_IF_ERROR(GetX(ctx, &x));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kBool, x->dims()));
    const int64_t n = x->numel();
    bool* py = y->data<bool>();
    bool ok = Dispatch<KILN_FLOAT_TYPES, KILN_FLOAT8_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* px = x->data<T>();
      if (is_nan_) {
        for (int64_t i = 0; i < n; ++i) py[i] = Classify(px[i]) == 2;
      } else {
        for (int64_t i = 0; i < n; ++i) {
          int c = Classify(px[i]);
          py[i] = (c == 1 && pos_) || (c == -1 && neg_);
        }
      }
    });
    return ok ? Status::Ok() : UnsupportedType(ctx, x->dtype());
  }

 private:
  bool is_nan_, pos_, neg_;
};

// ---- Clip ---------------------------------------------------------------------------------------

class ClipKernel : public Kernel {
 public:
  explicit ClipKernel(const KernelInfo& info) : attrs_(info) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    KILN_RETURN_IF_ERROR(GetX(ctx, &x));
    const Tensor* bounds[2] = {nullptr, nullptr};
    if (!attrs_.from_attributes) KILN_RETURN_IF_ERROR(GetClipBoundInputs(ctx, *x, bounds));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    const int64_t n = x->numel();
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeT<T>;
      C lo = std::numeric_limits<C>::lowest(), hi = std::numeric_limits<C>::max();
      if constexpr (!std::is_integral_v<T>) {
        lo = -std::numeric_limits<C>::infinity();
        hi = std::numeric_limits<C>::infinity();
      }
      if (attrs_.from_attributes) {
        if constexpr (!std::is_integral_v<T>) {
          lo = static_cast<C>(attrs_.min);
          hi = static_cast<C>(attrs_.max);
        }
      } else {
        if (bounds[0]) lo = Load(bounds[0]->data<T>()[0]);
        if (bounds[1]) hi = Load(bounds[1]->data<T>()[0]);
      }
      const T* px = x->data<T>();
      T* py = y->data<T>();
      // min(max(x, lo), hi): gives hi everywhere when lo > hi; NaN stays NaN.
      for (int64_t i = 0; i < n; ++i) {
        C v = Load(px[i]);
        v = v < lo ? lo : v;
        v = hi < v ? hi : v;
        py[i] = Store<T>(v);
      }
    });
    return ok ? Status::Ok() : UnsupportedType(ctx, x->dtype());
  }

 private:
  ClipAttrs attrs_;
};

}  // namespace

void RegisterUnaryKernels(KernelRegistry& r) {
  const std::vector<DataType> kSignedNumeric = [] {
    std::vector<DataType> v = kFloatTypes;
    v.insert(v.end(), kSignedIntTypes.begin(), kSignedIntTypes.end());
    return v;
  }();
  auto reg = [&r](const char* op, int since, const std::vector<DataType>& types,
                  KernelFactory f) {
    r.Register(KernelDef(op).Opsets(since).Types("T", {0}, types).Inplace(0, 0), std::move(f));
  };

  reg("Abs", 1, kNumericTypes, Unary<AbsOp, KILN_NUMERIC_TYPES>());
  reg("Neg", 1, kSignedNumeric, Unary<NegOp, KILN_SIGNED_NUMERIC_TYPES>());
  reg("Sign", 9, kNumericTypes, Unary<SignOp, KILN_NUMERIC_TYPES>());
  reg("Relu", 1, kSignedNumeric, Unary<ReluOp, KILN_SIGNED_NUMERIC_TYPES>());
  reg("Reciprocal", 1, kFloatTypes, Unary<ReciprocalOp, KILN_FLOAT_TYPES>());
  reg("Sqrt", 1, kFloatTypes, Unary<SqrtOp, KILN_FLOAT_TYPES>());
  reg("Exp", 1, kFloatTypes, Unary<ExpOp, KILN_FLOAT_TYPES>());
  reg("Log", 1, kFloatTypes, Unary<LogOp, KILN_FLOAT_TYPES>());
  reg("Ceil", 1, kFloatTypes, Unary<CeilOp, KILN_FLOAT_TYPES>());
  reg("Floor", 1, kFloatTypes, Unary<FloorOp, KILN_FLOAT_TYPES>());
  reg("Sigmoid", 1, kFloatTypes, Unary<SigmoidOp, KILN_FLOAT_TYPES>());
  reg("Tanh", 1, kFloatTypes, Unary<TanhOp, KILN_FLOAT_TYPES>());
  reg("Sin", 7, kFloatTypes, Unary<SinOp, KILN_FLOAT_TYPES>());
  reg("Cos", 7, kFloatTypes, Unary<CosOp, KILN_FLOAT_TYPES>());
  reg("Tan", 7, kFloatTypes, Unary<TanOp, KILN_FLOAT_TYPES>());
  reg("Asin", 7, kFloatTypes, Unary<AsinOp, KILN_FLOAT_TYPES>());
  reg("Acos", 7, kFloatTypes, Unary<AcosOp, KILN_FLOAT_TYPES>());
  reg("Atan", 7, kFloatTypes, Unary<AtanOp, KILN_FLOAT_TYPES>());
  reg("Sinh", 9, kFloatTypes, Unary<SinhOp, KILN_FLOAT_TYPES>());
  reg("Cosh", 9, kFloatTypes, Unary<CoshOp, KILN_FLOAT_TYPES>());
  reg("Asinh", 9, kFloatTypes, Unary<AsinhOp, KILN_FLOAT_TYPES>());
  reg("Acosh", 9, kFloatTypes, Unary<AcoshOp, KILN_FLOAT_TYPES>());
  reg("Atanh", 9, kFloatTypes, Unary<AtanhOp, KILN_FLOAT_TYPES>());
  reg("Erf", 9, kFloatTypes, Unary<ErfOp, KILN_FLOAT_TYPES>());
  reg("Round", 11, kFloatTypes, Unary<RoundOp, KILN_FLOAT_TYPES>());
  reg("Not", 1, {DataType::kBool}, Unary<NotOp, bool>());
  reg("BitwiseNot", 18, kIntTypes, Unary<BitwiseNotOp, KILN_INT_TYPES>());

  reg("LeakyRelu", 1, kFloatTypes, Unary<KILN_FLOAT_TYPES>([](const KernelInfo& i) {
        return LeakyReluOp{i.GetFloat("alpha", 0.01f)};
      }));
  reg("Elu", 1, kFloatTypes, Unary<KILN_FLOAT_TYPES>([](const KernelInfo& i) {
        return EluOp{i.GetFloat("alpha", 1.0f)};
      }));
  reg("Selu", 1, kFloatTypes, Unary<KILN_FLOAT_TYPES>([](const KernelInfo& i) {
        return SeluOp{i.GetFloat("alpha", 1.67326319217681884765625f),
                      i.GetFloat("gamma", 1.05070102214813232421875f)};
      }));
  r.Register(KernelDef("Celu").Opsets(12).Types("T", {0}, kFloatTypes).Inplace(0, 0),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               float alpha = info.GetFloat("alpha", 1.0f);
               if (alpha == 0) return info.InvalidModel("alpha must be nonzero");
               return std::unique_ptr<Kernel>(
                   new UnaryKernel<CeluOp, KILN_FLOAT_TYPES>(CeluOp{alpha}));
             });
  reg("HardSigmoid", 1, kFloatTypes, Unary<KILN_FLOAT_TYPES>([](const KernelInfo& i) {
        return HardSigmoidOp{i.GetFloat("alpha", 0.2f), i.GetFloat("beta", 0.5f)};
      }));
  reg("HardSwish", 14, kFloatTypes, Unary<HardSwishOp, KILN_FLOAT_TYPES>());
  reg("Softplus", 1, kFloatTypes, Unary<SoftplusOp, KILN_FLOAT_TYPES>());
  reg("Softsign", 1, kFloatTypes, Unary<SoftsignOp, KILN_FLOAT_TYPES>());
  reg("ThresholdedRelu", 10, kFloatTypes, Unary<KILN_FLOAT_TYPES>([](const KernelInfo& i) {
        return ThresholdedReluOp{i.GetFloat("alpha", 1.0f)};
      }));
  r.Register(KernelDef("Gelu").Opsets(20).Types("T", {0}, kFloatTypes).Inplace(0, 0),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               std::string approx = info.GetString("approximate", "none");
               if (approx != "none" && approx != "tanh") {
                 return info.InvalidModel("approximate must be 'none' or 'tanh', got '" + approx +
                                          "'");
               }
               if (approx == "tanh") {
                 return std::unique_ptr<Kernel>(new UnaryKernel<GeluTanhOp, KILN_FLOAT_TYPES>({}));
               }
               return std::unique_ptr<Kernel>(new UnaryKernel<GeluErfOp, KILN_FLOAT_TYPES>({}));
             });
  reg("Mish", 18, kFloatTypes, Unary<MishOp, KILN_FLOAT_TYPES>());
  reg("Swish", 24, kFloatTypes, Unary<KILN_FLOAT_TYPES>([](const KernelInfo& i) {
        return SwishOp{i.GetFloat("alpha", 1.0f)};
      }));
  reg("Shrink", 9, kNumericTypes, Unary<KILN_NUMERIC_TYPES>([](const KernelInfo& i) {
        return ShrinkOp{i.GetFloat("lambd", 0.5f), i.GetFloat("bias", 0.0f)};
      }));

  std::vector<DataType> classify_types = kFloatTypes;
  for (DataType t : {DataType::kFloat8E4M3FN, DataType::kFloat8E4M3FNUZ, DataType::kFloat8E5M2,
                     DataType::kFloat8E5M2FNUZ}) {
    classify_types.push_back(t);
  }
  r.Register(KernelDef("IsNaN").Opsets(9).Types("T1", {0}, classify_types),
             [](const KernelInfo&) -> StatusOr<std::unique_ptr<Kernel>> {
               return std::unique_ptr<Kernel>(new ClassifyKernel(true, false, false));
             });
  r.Register(KernelDef("IsInf").Opsets(10).Types("T1", {0}, classify_types),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               return std::unique_ptr<Kernel>(new ClassifyKernel(
                   false, info.GetInt("detect_positive", 1) != 0,
                   info.GetInt("detect_negative", 1) != 0));
             });
  r.Register(KernelDef("Clip").Opsets(1).Types("T", {0, 1, 2}, kNumericTypes).Inplace(0, 0),
             MakeKernel<ClipKernel>());
}

}  // namespace kiln::cpu
