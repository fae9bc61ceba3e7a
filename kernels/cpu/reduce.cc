// Reduction family kernels (CPU):
//   ReduceSum        1-10, 11-12 (axes attribute), 13+ (axes input, noop_with_empty_axes)
//   ReduceMean, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare
//                    1-10, 11-12, 13-17 (axes attribute), 18+ (axes input)
//   ReduceMax, ReduceMin
//                    1-10, 11, 12 (+int8/uint8), 13-17 (+bfloat16), 18-19 (axes input), 20+ (+bool)
//   ReduceLogSum, ReduceLogSumExp
//                    1-10, 11-12, 13-17 (axes attribute), 18-27 (axes input), 28+ (floats only)
//   ArgMax, ArgMin   1-10, 11, 12 (select_last_index), 13+
//   CumSum           11-13, 14+ (+float16/bfloat16)
//   CumProd          26+
// Reducing an empty set gives the op's identity: 0 (Sum, SumSquare, L1, L2), 1 (Prod), -inf or the
// type's lowest value (Max), +inf or the type's highest value (Min), -inf (LogSum, LogSumExp),
// NaN (Mean of floats). With an empty axes list, the reduction covers every axis unless
// noop_with_empty_axes is set; then each element is reduced alone (so ReduceL1 gives |x|,
// ReduceSumSquare x*x, and so on, as the reference does).
// Float types accumulate in double; integer types in 64-bit integers with wrap-around.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/reduce_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// ---------------------------------------------------------------------------------------------
// Element helpers.

template <typename T>
constexpr bool kIsFloat =
    std::is_floating_point_v<T> || std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

// Accumulator type: double for float types, 64-bit integers for integer types and bool.
template <typename T>
using AccT = std::conditional_t<
    kIsFloat<T>, double,
    std::conditional_t<std::is_unsigned_v<T> && !std::is_same_v<T, bool>, uint64_t, int64_t>>;

template <typename T>
inline AccT<T> Load(T v) {
  if constexpr (kIsFloat<T>) {
    return ToDouble(v);
  } else {
    return static_cast<AccT<T>>(v);
  }
}

template <typename T>
inline T Store(AccT<T> a) {
  if constexpr (kIsFloat<T>) {
    return FromDouble<T>(a);
  } else if constexpr (std::is_same_v<T, bool>) {
    return a != 0;
  } else {
    return static_cast<T>(a);
  }
}

template <typename A>
inline bool IsNan(A a) {
  if constexpr (std::is_floating_point_v<A>) {
    return std::isnan(a);
  } else {
    return false;
  }
}

// Integer sums and products wrap around (two's complement) like numpy's.
inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline uint64_t WrapAdd(uint64_t a, uint64_t b) { return a + b; }
inline double WrapAdd(double a, double b) { return a + b; }
inline int64_t WrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
inline uint64_t WrapMul(uint64_t a, uint64_t b) { return a * b; }
inline double WrapMul(double a, double b) { return a * b; }
inline int64_t Abs(int64_t a) {
  return a < 0 ? static_cast<int64_t>(uint64_t{0} - static_cast<uint64_t>(a)) : a;
}
inline uint64_t Abs(uint64_t a) { return a; }
inline double Abs(double a) { return std::fabs(a); }

// The lowest / highest value of T as an accumulator (infinities for float types).
template <typename T>
AccT<T> LowestAcc() {
  if constexpr (kIsFloat<T>) {
    return -std::numeric_limits<double>::infinity();
  } else {
    return static_cast<AccT<T>>(std::numeric_limits<T>::lowest());
  }
}
template <typename T>
AccT<T> HighestAcc() {
  if constexpr (kIsFloat<T>) {
    return std::numeric_limits<double>::infinity();
  } else {
    return static_cast<AccT<T>>(std::numeric_limits<T>::max());
  }
}

std::string TypeError(DataType dt) {
  return std::string("element type ") + DataTypeName(dt) + " is not supported";
}

// ---------------------------------------------------------------------------------------------
// Reductions over an arbitrary set of axes.

enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

// Walks x (shape in_dims) and folds each element into acc[output index] with f(acc, x); `kept`
// is in_dims with the reduced axes set to 1.
template <typename T, typename A, typename F>
void Accumulate(const std::vector<int64_t>& in_dims, const std::vector<int64_t>& kept, const T* x,
                A* acc, F f) {
  ForEachBroadcastRun<1>(in_dims, {kept},
                         [&](int64_t in_off, const std::array<int64_t, 1>& offs, int64_t n,
                             const std::array<int64_t, 1>& inner) {
                           const T* xp = x + in_off;
                           A* ap = acc + offs[0];
                           if (inner[0] == 0) {
                             A a = *ap;
                             for (int64_t j = 0; j < n; ++j) a = f(a, xp[j]);
                             *ap = a;
                           } else if (inner[0] == 1) {
                             for (int64_t j = 0; j < n; ++j) ap[j] = f(ap[j], xp[j]);
                           } else {
                             for (int64_t j = 0; j < n; ++j)
                               ap[j * inner[0]] = f(ap[j * inner[0]], xp[j]);
                           }
                         });
}

template <typename T>
void ReduceTyped(ReduceOp op, const std::vector<int64_t>& in_dims, const std::vector<int64_t>& kept,
                 int64_t count, const T* x, T* y, int64_t out_n) {
  using A = AccT<T>;
  if (op == ReduceOp::kLogSumExp) {
    // Two passes: the per-output maximum, then the shifted sum of exponentials (in double).
    std::vector<double> mx(out_n, -std::numeric_limits<double>::infinity());
    Accumulate(in_dims, kept, x, mx.data(), [](double a, T v) {
      double d = static_cast<double>(Load(v));
      return (d > a || std::isnan(d)) ? d : a;
    });
    for (double& m : mx) {
      if (!std::isfinite(m)) m = std::isnan(m) ? m : 0.0;
    }
    std::vector<double> sum(out_n, 0.0);
    ForEachBroadcastRun<1>(in_dims, {kept},
                           [&](int64_t in_off, const std::array<int64_t, 1>& offs, int64_t n,
                               const std::array<int64_t, 1>& inner) {
                             for (int64_t j = 0; j < n; ++j) {
                               int64_t o = offs[0] + j * inner[0];
                               sum[o] += std::exp(static_cast<double>(Load(x[in_off + j])) - mx[o]);
                             }
                           });
    for (int64_t i = 0; i < out_n; ++i) {
      double r = std::log(sum[i]) + mx[i];
      if constexpr (kIsFloat<T>) {
        y[i] = FromDouble<T>(r);
      } else {
        y[i] = std::isfinite(r) ? static_cast<T>(r) : T(0);
      }
    }
    return;
  }

  A init = A(0);
  if (op == ReduceOp::kProd) init = A(1);
  if (op == ReduceOp::kMax) init = LowestAcc<T>();
  if (op == ReduceOp::kMin) init = HighestAcc<T>();
  std::vector<A> acc(out_n, init);
  A* a = acc.data();
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kMean:
    case ReduceOp::kLogSum:
      Accumulate(in_dims, kept, x, a, [](A s, T v) { return WrapAdd(s, Load(v)); });
      break;
    case ReduceOp::kL1:
      Accumulate(in_dims, kept, x, a, [](A s, T v) { return WrapAdd(s, Abs(Load(v))); });
      break;
    case ReduceOp::kL2:
    case ReduceOp::kSumSquare:
      Accumulate(in_dims, kept, x, a, [](A s, T v) {
        A l = Load(v);
        return WrapAdd(s, WrapMul(l, l));
      });
      break;
    case ReduceOp::kProd:
      Accumulate(in_dims, kept, x, a, [](A s, T v) { return WrapMul(s, Load(v)); });
      break;
    case ReduceOp::kMax:
      Accumulate(in_dims, kept, x, a, [](A s, T v) {
        A l = Load(v);
        return (l > s || IsNan(l)) ? l : s;
      });
      break;
    case ReduceOp::kMin:
      Accumulate(in_dims, kept, x, a, [](A s, T v) {
        A l = Load(v);
        return (l < s || IsNan(l)) ? l : s;
      });
      break;
    case ReduceOp::kLogSumExp:
      break;
  }
  // Final transform per output element.
  for (int64_t i = 0; i < out_n; ++i) {
    A s = acc[i];
    switch (op) {
      case ReduceOp::kMean:
        if constexpr (kIsFloat<T>) {
          s = s / static_cast<double>(count);
        } else {
          s = count == 0 ? A(0) : static_cast<A>(s / static_cast<A>(count));
        }
        break;
      case ReduceOp::kL2:
        if constexpr (kIsFloat<T>) {
          s = std::sqrt(s);
        } else {
          s = static_cast<A>(std::sqrt(static_cast<double>(s)));
        }
        break;
      case ReduceOp::kLogSum:
        if constexpr (kIsFloat<T>) {
          s = std::log(s);
        } else {
          double r = std::log(static_cast<double>(s));
          s = std::isfinite(r) ? static_cast<A>(r) : A(0);
        }
        break;
      default:
        break;
    }
    y[i] = Store<T>(s);
  }
}

struct ReduceConfig {
  ReduceOp op;
  int axes_input_since;  // opset from which axes is an input (13 for ReduceSum, 18 otherwise)
};

class ReduceKernel : public Kernel {
 public:
  ReduceKernel(const KernelInfo& info, ReduceConfig cfg)
      : cfg_(cfg), attrs_(ReadReduceAttrs(info, cfg.axes_input_since)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'data' is missing");
    KILN_ASSIGN_OR_RETURN(ReducePlan plan, PlanReduce(ctx, attrs_, *x));
    const std::vector<int64_t>& kept = plan.kept;
    const int64_t count = plan.count;
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), plan.out_dims));
    const int64_t out_n = y->numel();
    if (out_n == 0) return Status::Ok();
    const bool minmax = cfg_.op == ReduceOp::kMax || cfg_.op == ReduceOp::kMin;
    if (x->dtype() == DataType::kBool) {
      if (!minmax) return ctx.Unsupported(TypeError(x->dtype()));
      ReduceTyped<bool>(cfg_.op, x->dims(), kept, count, x->data<bool>(), y->data<bool>(), out_n);
      return Status::Ok();
    }
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      ReduceTyped<T>(cfg_.op, x->dims(), kept, count, x->data<T>(), y->data<T>(), out_n);
    });
    if (!ok) return ctx.Unsupported(TypeError(x->dtype()));
    return Status::Ok();
  }

 private:
  ReduceConfig cfg_;
  ReduceAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// ArgMax / ArgMin.

template <typename T, bool kMax>
void ArgReduce(const T* x, int64_t* y, int64_t outer, int64_t n, int64_t inner, bool last) {
  using A = AccT<T>;
  // better(v, best): v replaces the current best. NaN counts as the extreme value (numpy).
  auto better = [last](A v, A best) {
    if (IsNan(v)) return last || !IsNan(best);
    if (IsNan(best)) return false;
    if constexpr (kMax) {
      return last ? v >= best : v > best;
    } else {
      return last ? v <= best : v < best;
    }
  };
  std::vector<A> best(inner);
  for (int64_t o = 0; o < outer; ++o) {
    const T* xs = x + o * n * inner;
    int64_t* ys = y + o * inner;
    for (int64_t i = 0; i < inner; ++i) {
      best[i] = Load(xs[i]);
      ys[i] = 0;
    }
    for (int64_t k = 1; k < n; ++k) {
      const T* xr = xs + k * inner;
      for (int64_t i = 0; i < inner; ++i) {
        A v = Load(xr[i]);
        if (better(v, best[i])) {
          best[i] = v;
          ys[i] = k;
        }
      }
    }
  }
}

class ArgKernel : public Kernel {
 public:
  ArgKernel(const KernelInfo& info, bool is_max)
      : is_max_(is_max), attrs_(ReadArgReduceAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'data' is missing");
    KILN_ASSIGN_OR_RETURN(ArgReducePlan p, PlanArgReduce(ctx, attrs_, is_max_, *x));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, p.out_dims));
    if (y->numel() == 0) return Status::Ok();
    const bool last = attrs_.select_last_index;
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (is_max_) {
        ArgReduce<T, true>(x->data<T>(), y->data<int64_t>(), p.outer, p.n, p.inner, last);
      } else {
        ArgReduce<T, false>(x->data<T>(), y->data<int64_t>(), p.outer, p.n, p.inner, last);
      }
    });
    if (!ok) return ctx.Unsupported(TypeError(x->dtype()));
    return Status::Ok();
  }

 private:
  bool is_max_;
  ArgReduceAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// CumSum / CumProd.

template <typename T, bool kProd>
void Cumulate(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool exclusive,
              bool reverse) {
  using A = AccT<T>;
  std::vector<A> acc(inner);
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), kProd ? A(1) : A(0));
    for (int64_t s = 0; s < n; ++s) {
      const int64_t k = reverse ? n - 1 - s : s;
      const T* xr = x + (o * n + k) * inner;
      T* yr = y + (o * n + k) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        A v = Load(xr[i]);
        if (exclusive) yr[i] = Store<T>(acc[i]);
        acc[i] = kProd ? WrapMul(acc[i], v) : WrapAdd(acc[i], v);
        if (!exclusive) yr[i] = Store<T>(acc[i]);
      }
    }
  }
}

class CumKernel : public Kernel {
 public:
  CumKernel(const KernelInfo& info, bool is_prod) : is_prod_(is_prod) {
    exclusive_ = info.GetInt("exclusive", 0) != 0;
    reverse_ = info.GetInt("reverse", 0) != 0;
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* axis_t = ctx.Input(1);
    if (x == nullptr) return ctx.InvalidArgument("input 'x' is missing");
    if (axis_t == nullptr) return ctx.InvalidArgument("input 'axis' is missing");
    if (axis_t->numel() != 1 || axis_t->rank() > 1) {
      return ctx.InvalidArgument("input 'axis' must be a scalar, got shape " +
                                 DimsToString(axis_t->dims()));
    }
    int64_t axis_v;
    if (axis_t->dtype() == DataType::kInt64) {
      axis_v = *axis_t->data<int64_t>();
    } else if (axis_t->dtype() == DataType::kInt32) {
      axis_v = *axis_t->data<int32_t>();
    } else {
      return ctx.InvalidArgument(std::string("input 'axis' must be int32 or int64, got ") +
                                 DataTypeName(axis_t->dtype()));
    }
    const int rank = x->rank();
    if (rank == 0) return ctx.InvalidArgument("input must have rank >= 1, got a scalar");
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_v, rank, ctx.node()));
    const auto& d = x->dims();
    const int64_t outer = ProductOfDims(d, 0, axis);
    const int64_t n = d[axis];
    const int64_t inner = ProductOfDims(d, axis + 1, rank);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), d));
    if (y->numel() == 0) return Status::Ok();
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (is_prod_) {
        Cumulate<T, true>(x->data<T>(), y->data<T>(), outer, n, inner, exclusive_, reverse_);
      } else {
        Cumulate<T, false>(x->data<T>(), y->data<T>(), outer, n, inner, exclusive_, reverse_);
      }
    });
    if (!ok) return ctx.Unsupported(TypeError(x->dtype()));
    return Status::Ok();
  }

 private:
  bool is_prod_;
  bool exclusive_ = false;
  bool reverse_ = false;
};

// ---------------------------------------------------------------------------------------------
// Registration.

enum class ReduceFamily { kPlain, kMinMax, kLog };

// Element types accepted by a reduce op's schema version `since`.
std::vector<DataType> ReduceTypes(ReduceFamily family, int since) {
  if (family == ReduceFamily::kLog && since >= 28) return kFloatTypes;
  std::vector<DataType> t = {DataType::kFloat, DataType::kDouble, DataType::kFloat16,
                             DataType::kInt32, DataType::kInt64,  DataType::kUint32,
                             DataType::kUint64};
  if (since >= 13) t.push_back(DataType::kBFloat16);
  if (family == ReduceFamily::kMinMax && since >= 12) {
    t.push_back(DataType::kInt8);
    t.push_back(DataType::kUint8);
  }
  if (family == ReduceFamily::kMinMax && since >= 20) t.push_back(DataType::kBool);
  return t;
}

}  // namespace

void RegisterReduceKernels(KernelRegistry& r) {
  const struct {
    const char* name;
    ReduceOp op;
    ReduceFamily family;
    std::vector<int> versions;
    int axes_input_since;
  } reduces[] = {
      {"ReduceSum", ReduceOp::kSum, ReduceFamily::kPlain, {1, 11, 13}, 13},
      {"ReduceMean", ReduceOp::kMean, ReduceFamily::kPlain, {1, 11, 13, 18}, 18},
      {"ReduceProd", ReduceOp::kProd, ReduceFamily::kPlain, {1, 11, 13, 18}, 18},
      {"ReduceL1", ReduceOp::kL1, ReduceFamily::kPlain, {1, 11, 13, 18}, 18},
      {"ReduceL2", ReduceOp::kL2, ReduceFamily::kPlain, {1, 11, 13, 18}, 18},
      {"ReduceSumSquare", ReduceOp::kSumSquare, ReduceFamily::kPlain, {1, 11, 13, 18}, 18},
      {"ReduceMax", ReduceOp::kMax, ReduceFamily::kMinMax, {1, 11, 12, 13, 18, 20}, 18},
      {"ReduceMin", ReduceOp::kMin, ReduceFamily::kMinMax, {1, 11, 12, 13, 18, 20}, 18},
      {"ReduceLogSum", ReduceOp::kLogSum, ReduceFamily::kLog, {1, 11, 13, 18, 28}, 18},
      {"ReduceLogSumExp", ReduceOp::kLogSumExp, ReduceFamily::kLog, {1, 11, 13, 18, 28}, 18},
  };
  for (const auto& op : reduces) {
    const ReduceConfig cfg{op.op, op.axes_input_since};
    const ReduceFamily family = op.family;
    const int axes_since = op.axes_input_since;
    RegisterReduceVersions(
        r, op.name, op.versions, Device::kCpu,
        [family, axes_since](KernelDef def, int since) {
          def.Types("T", {0}, ReduceTypes(family, since));
          if (since >= axes_since) def.Types("axes", {1}, {DataType::kInt64});
          return def;
        },
        [cfg](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
          return std::unique_ptr<Kernel>(new ReduceKernel(info, cfg));
        });
  }

  for (bool is_max : {true, false}) {
    RegisterReduceVersions(
        r, is_max ? "ArgMax" : "ArgMin", {1, 11, 12, 13}, Device::kCpu,
        [](KernelDef def, int since) {
          std::vector<DataType> t = {DataType::kFloat,  DataType::kDouble, DataType::kFloat16,
                                     DataType::kInt8,   DataType::kInt16,  DataType::kInt32,
                                     DataType::kInt64,  DataType::kUint8,  DataType::kUint16,
                                     DataType::kUint32, DataType::kUint64};
          if (since >= 13) t.push_back(DataType::kBFloat16);
          return def.Types("T", {0}, t);
        },
        [is_max](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
          return std::unique_ptr<Kernel>(new ArgKernel(info, is_max));
        });
  }

  const std::vector<DataType> cum_types = {DataType::kFloat, DataType::kDouble, DataType::kInt32,
                                           DataType::kInt64, DataType::kUint32, DataType::kUint64};
  std::vector<DataType> cum_types_16 = cum_types;
  cum_types_16.push_back(DataType::kFloat16);
  cum_types_16.push_back(DataType::kBFloat16);
  const std::vector<DataType> axis_types = {DataType::kInt32, DataType::kInt64};
  auto cum_factory = [](bool is_prod) -> KernelFactory {
    return [is_prod](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
      return std::unique_ptr<Kernel>(new CumKernel(info, is_prod));
    };
  };
  r.Register(
      KernelDef("CumSum").Opsets(11, 13).Types("T", {0}, cum_types).Types("T2", {1}, axis_types),
      cum_factory(false));
  r.Register(
      KernelDef("CumSum").Opsets(14).Types("T", {0}, cum_types_16).Types("T2", {1}, axis_types),
      cum_factory(false));
  r.Register(
      KernelDef("CumProd").Opsets(26).Types("T", {0}, cum_types_16).Types("T2", {1}, axis_types),
      cum_factory(true));
}

}  // namespace kiln::cpu
