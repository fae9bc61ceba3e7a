// Binary and variadic elementwise kernels with numpy broadcasting:
//   Add, Sub, Mul, Div @1+     (opset < 7: legacy `broadcast`/`axis` attributes)
//   Pow @1+                    (base int32/int64/floats; exponent any numeric type from 12)
//   Mod @10+                   (fmod 0: sign of the divisor; fmod 1: C fmod)
//   BitShift @11+, BitwiseAnd, BitwiseOr, BitwiseXor @18+
//   And, Or, Xor @1+ (bool)
//   Equal, Greater, Less @1+, GreaterOrEqual, LessOrEqual @12+ (bool output; Equal on bool/string)
//   Max, Min, Sum, Mean @1+    (variadic)
//   Where @9+ (every fixed-size element type and string), PRelu @1+ (slope broadcasts to X)
// 16-bit floats are computed in float. Integer arithmetic wraps; integer division or modulo by zero
// is an InvalidArgument error.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/register.h"
#include "kernels/cpu/threads.h"
#include "kernels/ops/common.h"
#include "kernels/ops/elementwise_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

using Dims = std::vector<int64_t>;

// out[i] = op(a[i], b[i]) over the broadcast of a and b to `od`. Inner runs are specialised for
// contiguous and broadcast-scalar operands so they vectorise. float and double inputs are split
// over the kernel threads (their ops keep no state; the integer ones may record a division by
// zero).
template <typename TA, typename TB, typename TO, typename Op>
void BroadcastLoop(const TA* a, const Dims& ad, const TB* b, const Dims& bd, TO* out, const Dims& od,
                   const Op& op) {
  auto run = [&](int64_t o, const std::array<int64_t, 2>& offs, int64_t n,
                 const std::array<int64_t, 2>& st) {
    const TA* pa = a + offs[0];
    const TB* pb = b + offs[1];
    TO* po = out + o;
    if (st[0] == 1 && st[1] == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i], pb[i]);
    } else if (st[0] == 0 && st[1] == 1) {
      const TA av = pa[0];
      for (int64_t i = 0; i < n; ++i) po[i] = op(av, pb[i]);
    } else if (st[0] == 1 && st[1] == 0) {
      const TB bv = pb[0];
      for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i], bv);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i * st[0]], pb[i * st[1]]);
    }
  };
  if constexpr (std::is_floating_point_v<TA> && std::is_floating_point_v<TB>) {
    const int64_t total = ProductOfDims(od, 0, static_cast<int>(od.size()));
    ParallelFor(total, kElementwiseGrain, [&](int64_t begin, int64_t end) {
      ForEachBroadcastRunRange<2>(od, {ad, bd}, begin, end, run);
    });
  } else {
    ForEachBroadcastRun<2>(od, {ad, bd}, run);
  }
}

// The legacy (opset < 7) broadcasting attributes of the arithmetic, logical and comparison ops.
struct LegacyBroadcast {
  bool active = false;  // opset < 7
  bool broadcast = false;
  bool has_axis = false;
  int64_t axis = 0;

  explicit LegacyBroadcast(const KernelInfo& info) {
    if (info.opset() >= 7) return;
    active = true;
    broadcast = info.GetInt("broadcast", 0) != 0;
    has_axis = info.HasAttr("axis");
    axis = info.GetInt("axis", 0);
  }
};

struct BinaryArgs {
  const Tensor* a = nullptr;
  const Tensor* b = nullptr;
  Dims ad, bd, od;  // operand shapes as broadcast reads them, and the output shape
};

Status PrepareBinary(KernelContext& ctx, const LegacyBroadcast& legacy, BinaryArgs* args) {
  KILN_RETURN_IF_ERROR(GetTensorInput(ctx, 0, &args->a));
  KILN_RETURN_IF_ERROR(GetTensorInput(ctx, 1, &args->b));
  args->ad = args->a->dims();
  args->bd = args->b->dims();
  if (legacy.active) {
    if (!legacy.broadcast) {
      if (args->ad != args->bd) {
        return ctx.InvalidArgument("shapes " + DimsToString(args->ad) + " and " +
                                   DimsToString(args->bd) + " differ and broadcast is 0");
      }
    } else if (legacy.has_axis) {
      const int64_t ra = static_cast<int64_t>(args->ad.size());
      const int64_t rb = static_cast<int64_t>(args->bd.size());
      int64_t axis = legacy.axis < 0 ? legacy.axis + ra : legacy.axis;
      if (axis < 0 || axis + rb > ra) {
        return ctx.InvalidArgument("broadcast axis " + std::to_string(legacy.axis) +
                                   " does not fit B " + DimsToString(args->bd) + " into A " +
                                   DimsToString(args->ad));
      }
      Dims bd(axis, 1);
      bd.insert(bd.end(), args->bd.begin(), args->bd.end());
      bd.resize(ra, 1);
      args->bd = std::move(bd);
    }
  }
  auto od = BroadcastShapes({args->ad, args->bd});
  if (!od.ok()) return ctx.InvalidArgument(od.status().message());
  args->od = std::move(od).value();
  if (legacy.active && legacy.broadcast && args->od != args->ad) {
    return ctx.InvalidArgument("B " + DimsToString(args->b->dims()) +
                               " cannot be broadcast to A " + DimsToString(args->ad));
  }
  return Status::Ok();
}

// A kernel running Impl::Run(ctx, args) after the common input / broadcast handling. Impl is built
// from the KernelInfo and holds the op's attributes.
template <typename Impl>
class BinaryKernel : public Kernel {
 public:
  BinaryKernel(const KernelInfo& info, Impl impl) : legacy_(info), impl_(std::move(impl)) {}
  Status Run(KernelContext& ctx) const override {
    BinaryArgs args;
    KILN_RETURN_IF_ERROR(PrepareBinary(ctx, legacy_, &args));
    return impl_.Run(ctx, args);
  }

 private:
  LegacyBroadcast legacy_;
  Impl impl_;
};

template <typename Impl>
KernelFactory BinaryFactory(Impl impl = Impl()) {
  return [impl](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(new BinaryKernel<Impl>(info, impl));
  };
}

Status UnsupportedType(KernelContext& ctx, DataType t) {
  return ctx.Unsupported(std::string("element type ") + DataTypeName(t) + " is not supported");
}

// ---- Elementwise functors on storage types --------------------------------------------------

template <typename T>
struct AddOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return WrapAdd(a, b);
    } else {
      return Store<T>(Load(a) + Load(b));
    }
  }
};
template <typename T>
struct SubOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return WrapSub(a, b);
    } else {
      return Store<T>(Load(a) - Load(b));
    }
  }
};
template <typename T>
struct MulOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return WrapMul(a, b);
    } else {
      return Store<T>(Load(a) * Load(b));
    }
  }
};
// Max / Min propagate NaN like numpy's maximum / minimum.
template <typename T>
struct MaxOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return a < b ? b : a;
    } else {
      auto x = Load(a), y = Load(b);
      return Store<T>(x != x ? x : (x < y ? y : x));
    }
  }
};
template <typename T>
struct MinOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return b < a ? b : a;
    } else {
      auto x = Load(a), y = Load(b);
      return Store<T>(x != x ? x : (y < x ? y : x));
    }
  }
};
template <typename T>
struct AndOp {
  T operator()(T a, T b) const { return a & b; }
};
template <typename T>
struct OrOp {
  T operator()(T a, T b) const { return a | b; }
};
template <typename T>
struct XorOp {
  T operator()(T a, T b) const { return a ^ b; }
};

struct EqualCmp {
  template <typename T>
  bool operator()(const T& a, const T& b) const {
    if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
      return Load(a) == Load(b);
    } else {
      return a == b;
    }
  }
};
struct GreaterCmp {
  template <typename T>
  bool operator()(T a, T b) const {
    return Load(a) > Load(b);
  }
};
struct GreaterEqualCmp {
  template <typename T>
  bool operator()(T a, T b) const {
    return Load(a) >= Load(b);
  }
};
struct LessCmp {
  template <typename T>
  bool operator()(T a, T b) const {
    return Load(a) < Load(b);
  }
};
struct LessEqualCmp {
  template <typename T>
  bool operator()(T a, T b) const {
    return Load(a) <= Load(b);
  }
};

// ---- Impls ------------------------------------------------------------------------------------

// Output of the input type, out = Op<T>(a, b), for the types Ts.
template <template <typename> class Op, typename... Ts>
struct SameTypeImpl {
  Status Run(KernelContext& ctx, const BinaryArgs& x) const {
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x.a->dtype(), x.od));
    bool ok = Dispatch<Ts...>(x.a->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      BroadcastLoop(x.a->data<T>(), x.ad, x.b->data<T>(), x.bd, out->data<T>(), x.od, Op<T>());
    });
    return ok ? Status::Ok() : UnsupportedType(ctx, x.a->dtype());
  }
};

// Bool output, out = Cmp(a, b).
template <typename Cmp, typename... Ts>
struct CompareImpl {
  Status Run(KernelContext& ctx, const BinaryArgs& x) const {
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, DataType::kBool, x.od));
    bool ok = Dispatch<Ts...>(x.a->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      BroadcastLoop(x.a->data<T>(), x.ad, x.b->data<T>(), x.bd, out->data<bool>(), x.od,
                    [](const T& a, const T& b) { return Cmp()(a, b); });
    });
    return ok ? Status::Ok() : UnsupportedType(ctx, x.a->dtype());
  }
};

Status DivisionByZero(KernelContext& ctx) {
  return ctx.InvalidArgument("integer division by zero");
}

struct DivImpl {
  Status Run(KernelContext& ctx, const BinaryArgs& x) const {
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x.a->dtype(), x.od));
    bool by_zero = false;
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x.a->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_integral_v<T>) {
        bool zero = false;
        BroadcastLoop(x.a->data<T>(), x.ad, x.b->data<T>(), x.bd, out->data<T>(), x.od,
                      [&zero](T a, T b) -> T {
                        if (b == 0) {
                          zero = true;
                          return 0;
                        }
                        // Truncates toward zero; INT_MIN / -1 wraps instead of trapping.
                        if constexpr (std::is_signed_v<T>) {
                          if (b == -1) return WrapSub(T(0), a);
                        }
                        return static_cast<T>(a / b);
                      });
        by_zero = zero;
      } else {
        BroadcastLoop(x.a->data<T>(), x.ad, x.b->data<T>(), x.bd, out->data<T>(), x.od,
                      [](T a, T b) { return Store<T>(Load(a) / Load(b)); });
      }
    });
    if (!ok) return UnsupportedType(ctx, x.a->dtype());
    return by_zero ? DivisionByZero(ctx) : Status::Ok();
  }
};

// numpy.mod for floats: the result takes the sign of the divisor.
template <typename C>
C FloorMod(C a, C b) {
  C r = std::fmod(a, b);
  if (r != 0) {
    if ((b < 0) != (r < 0)) r += b;
  } else {
    r = std::copysign(C(0), b);
  }
  return r;
}

struct ModImpl {
  bool fmod = false;
  Status Run(KernelContext& ctx, const BinaryArgs& x) const {
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x.a->dtype(), x.od));
    bool by_zero = false;
    const bool use_fmod = fmod;
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x.a->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_integral_v<T>) {
        bool zero = false;
        BroadcastLoop(x.a->data<T>(), x.ad, x.b->data<T>(), x.bd, out->data<T>(), x.od,
                      [&zero, use_fmod](T a, T b) -> T {
                        if (b == 0) {
                          zero = true;
                          return 0;
                        }
                        if constexpr (std::is_signed_v<T>) {
                          if (b == -1) return 0;  // INT_MIN % -1 would trap
                          T r = static_cast<T>(a % b);
                          if (!use_fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
                          return r;
                        } else {
                          return static_cast<T>(a % b);
                        }
                      });
        by_zero = zero;
      } else if (use_fmod) {
        BroadcastLoop(x.a->data<T>(), x.ad, x.b->data<T>(), x.bd, out->data<T>(), x.od,
                      [](T a, T b) { return Store<T>(std::fmod(Load(a), Load(b))); });
      } else {
        BroadcastLoop(x.a->data<T>(), x.ad, x.b->data<T>(), x.bd, out->data<T>(), x.od,
                      [](T a, T b) { return Store<T>(FloorMod(Load(a), Load(b))); });
      }
    });
    if (!ok) return UnsupportedType(ctx, x.a->dtype());
    return by_zero ? DivisionByZero(ctx) : Status::Ok();
  }
};

struct BitShiftImpl {
  bool left = true;
  Status Run(KernelContext& ctx, const BinaryArgs& x) const {
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x.a->dtype(), x.od));
    const bool l = left;
    bool ok = Dispatch<KILN_INT_TYPES>(x.a->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using U = std::make_unsigned_t<T>;
      constexpr int kBits = 8 * sizeof(T);
      // Shift amounts outside [0, bits) shift every bit out (numpy semantics).
      if (l) {
        BroadcastLoop(x.a->data<T>(), x.ad, x.b->data<T>(), x.bd, out->data<T>(), x.od,
                      [](T a, T s) -> T {
                        if (s < 0 || s >= kBits) return 0;
                        return static_cast<T>(static_cast<U>(static_cast<U>(a) << s));
                      });
      } else {
        BroadcastLoop(x.a->data<T>(), x.ad, x.b->data<T>(), x.bd, out->data<T>(), x.od,
                      [](T a, T s) -> T {
                        if (s < 0 || s >= kBits) return a < 0 ? T(-1) : T(0);
                        return static_cast<T>(a >> s);  // arithmetic for signed types
                      });
      }
    });
    return ok ? Status::Ok() : UnsupportedType(ctx, x.a->dtype());
  }
};

// base^exp for integers, wrapping on overflow. A negative exponent gives 0 except for bases 1 and
// -1 (the integer part of the exact result).
template <typename T>
T IntPow(T base, bool negative, uint64_t e) {
  if (negative) {
    if (base == 1) return 1;
    if constexpr (std::is_signed_v<T>) {
      if (base == -1) return (e & 1) ? T(-1) : T(1);
    }
    return 0;
  }
  T r = 1;
  while (e != 0) {
    if (e & 1) r = WrapMul(r, base);
    base = WrapMul(base, base);
    e >>= 1;
  }
  return r;
}

struct PowImpl {
  Status Run(KernelContext& ctx, const BinaryArgs& x) const {
    KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x.a->dtype(), x.od));
    bool ok_exp = true;
    bool ok = Dispatch<float, double, Float16, BFloat16, int32_t, int64_t>(
        x.a->dtype(), [&](auto base_tag) {
          using TB = typename decltype(base_tag)::type;
          // Fast path: x^2 with a scalar float exponent.
          if constexpr (!std::is_integral_v<TB>) {
            if (x.b->numel() == 1 && x.b->dtype() == x.a->dtype() &&
                Load(x.b->data<TB>()[0]) == 2) {
              BroadcastLoop(x.a->data<TB>(), x.ad, x.b->data<TB>(), x.bd, out->data<TB>(), x.od,
                            [](TB a, TB) { return Store<TB>(Load(a) * Load(a)); });
              return;
            }
          }
          ok_exp = Dispatch<KILN_NUMERIC_TYPES>(x.b->dtype(), [&](auto exp_tag) {
            using TE = typename decltype(exp_tag)::type;
            const TB* a = x.a->data<TB>();
            const TE* b = x.b->data<TE>();
            TB* o = out->data<TB>();
            if constexpr (std::is_integral_v<TB> && std::is_integral_v<TE>) {
              BroadcastLoop(a, x.ad, b, x.bd, o, x.od, [](TB v, TE e) {
                bool neg = false;
                uint64_t mag = static_cast<uint64_t>(e);
                if constexpr (std::is_signed_v<TE>) {
                  neg = e < 0;
                  if (neg) mag = 0 - static_cast<uint64_t>(e);
                }
                return IntPow<TB>(v, neg, mag);
              });
            } else if constexpr (std::is_integral_v<TB>) {
              BroadcastLoop(a, x.ad, b, x.bd, o, x.od, [](TB v, TE e) {
                return SaturatingCast<TB>(std::pow(static_cast<double>(v), ToDouble(e)));
              });
            } else {
              using C = ComputeT<TB>;
              BroadcastLoop(a, x.ad, b, x.bd, o, x.od, [](TB v, TE e) {
                return Store<TB>(std::pow(Load(v), static_cast<C>(ToDouble(e))));
              });
            }
          });
        });
    if (!ok) return UnsupportedType(ctx, x.a->dtype());
    if (!ok_exp) return UnsupportedType(ctx, x.b->dtype());
    return Status::Ok();
  }
};

// ---- Variadic ops -------------------------------------------------------------------------------

// Max, Min, Sum, Mean over any number of broadcast inputs. The first two inputs are combined into
// the output, then each further input is folded into it in place.
template <template <typename> class Op, bool kMean, typename... Ts>
Status RunVariadic(KernelContext& ctx) {
  const int n = ctx.num_inputs();
  if (n < 1) return ctx.InvalidArgument("needs at least one input");
  std::vector<const Tensor*> in(n);
  std::vector<Dims> shapes(n);
  for (int i = 0; i < n; ++i) {
    KILN_RETURN_IF_ERROR(GetTensorInput(ctx, i, &in[i]));
    shapes[i] = in[i]->dims();
  }
  auto od_or = BroadcastShapes(shapes);
  if (!od_or.ok()) return ctx.InvalidArgument(od_or.status().message());
  const Dims od = std::move(od_or).value();
  const DataType dt = in[0]->dtype();
  KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, dt, od));
  bool ok = Dispatch<Ts...>(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = out->data<T>();
    if (n == 1) {
      // Shapes equal: a plain copy.
      std::copy(in[0]->data<T>(), in[0]->data<T>() + in[0]->numel(), o);
    } else {
      BroadcastLoop(in[0]->data<T>(), shapes[0], in[1]->data<T>(), shapes[1], o, od, Op<T>());
      for (int i = 2; i < n; ++i) {
        BroadcastLoop(static_cast<const T*>(o), od, in[i]->data<T>(), shapes[i], o, od, Op<T>());
      }
    }
    if constexpr (kMean) {
      if (n > 1) {
        const auto inv = static_cast<ComputeT<T>>(n);
        for (int64_t i = 0; i < out->numel(); ++i) o[i] = Store<T>(Load(o[i]) / inv);
      }
    }
  });
  return ok ? Status::Ok() : UnsupportedType(ctx, dt);
}

// ---- Where, PRelu -------------------------------------------------------------------------------

struct Bytes16 {
  uint64_t lo, hi;
};

Status RunWhere(KernelContext& ctx) {
  const Tensor* c;
  const Tensor* x;
  const Tensor* y;
  KILN_RETURN_IF_ERROR(GetWhereInputs(ctx, &c, &x, &y));
  auto od_or = BroadcastShapes({c->dims(), x->dims(), y->dims()});
  if (!od_or.ok()) return ctx.InvalidArgument(od_or.status().message());
  const Dims od = std::move(od_or).value();
  const DataType dt = x->dtype();
  if (IsPacked(dt)) return UnsupportedType(ctx, dt);
  KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, dt, od));
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool* pc = c->data<bool>();
    const T* px = static_cast<const T*>(x->raw_data());
    const T* py = static_cast<const T*>(y->raw_data());
    T* po = static_cast<T*>(out->raw_data());
    ForEachBroadcastRun<3>(od, {c->dims(), x->dims(), y->dims()},
                           [&](int64_t o, const std::array<int64_t, 3>& offs, int64_t n,
                               const std::array<int64_t, 3>& st) {
                             const bool* cc = pc + offs[0];
                             const T* xx = px + offs[1];
                             const T* yy = py + offs[2];
                             T* oo = po + o;
                             for (int64_t i = 0; i < n; ++i) {
                               oo[i] = cc[i * st[0]] ? xx[i * st[1]] : yy[i * st[2]];
                             }
                           });
  };
  if (dt == DataType::kString) {
    run(Tag<std::string>());
    return Status::Ok();
  }
  switch (DataTypeBits(dt)) {
    case 8: run(Tag<uint8_t>()); break;
    case 16: run(Tag<uint16_t>()); break;
    case 32: run(Tag<uint32_t>()); break;
    case 64: run(Tag<uint64_t>()); break;
    case 128: run(Tag<Bytes16>()); break;
    default: return UnsupportedType(ctx, dt);
  }
  return Status::Ok();
}

template <typename T>
struct PReluOp {
  T operator()(T x, T slope) const {
    if constexpr (std::is_unsigned_v<T>) {
      return x;
    } else if constexpr (std::is_integral_v<T>) {
      return x < 0 ? WrapMul(x, slope) : x;
    } else {
      auto v = Load(x);
      return v < 0 ? Store<T>(v * Load(slope)) : x;
    }
  }
};

Status RunPRelu(KernelContext& ctx) {
  const Tensor* x;
  const Tensor* s;
  KILN_RETURN_IF_ERROR(GetTensorInput(ctx, 0, &x));
  KILN_RETURN_IF_ERROR(GetTensorInput(ctx, 1, &s));
  Dims sd = s->dims();
  // Before opset 7 a 1-D slope of size C applies per channel (axis 1).
  if (ctx.opset() < 7 && sd.size() == 1 && x->rank() > 2 && sd[0] == x->dim(1) && sd[0] != 1) {
    sd.resize(x->rank() - 1, 1);
  }
  auto od = BroadcastShapes({x->dims(), sd});
  if (!od.ok() || od.value() != x->dims()) {
    return ctx.InvalidArgument("slope " + DimsToString(s->dims()) + " cannot be broadcast to X " +
                               DimsToString(x->dims()));
  }
  KILN_ASSIGN_OR_RETURN(Tensor * out, ctx.Output(0, x->dtype(), x->dims()));
  bool ok = Dispatch<KILN_NUMERIC_TYPES>(x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    BroadcastLoop(x->data<T>(), x->dims(), s->data<T>(), sd, out->data<T>(), x->dims(),
                  PReluOp<T>());
  });
  return ok ? Status::Ok() : UnsupportedType(ctx, x->dtype());
}

std::vector<DataType> Concat(std::vector<DataType> a, const std::vector<DataType>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

void RegisterBinaryKernels(KernelRegistry& r) {
  const std::vector<DataType> kBool = {DataType::kBool};
  const std::vector<DataType> kPowBase = {DataType::kFloat,   DataType::kDouble, DataType::kFloat16,
                                          DataType::kBFloat16, DataType::kInt32, DataType::kInt64};

  r.Register(KernelDef("Add").Opsets(1).Types("T", {0, 1}, kNumericTypes).Inplace(0, 0),
             BinaryFactory<SameTypeImpl<AddOp, KILN_NUMERIC_TYPES>>());
  r.Register(KernelDef("Sub").Opsets(1).Types("T", {0, 1}, kNumericTypes).Inplace(0, 0),
             BinaryFactory<SameTypeImpl<SubOp, KILN_NUMERIC_TYPES>>());
  r.Register(KernelDef("Mul").Opsets(1).Types("T", {0, 1}, kNumericTypes).Inplace(0, 0),
             BinaryFactory<SameTypeImpl<MulOp, KILN_NUMERIC_TYPES>>());
  r.Register(KernelDef("Div").Opsets(1).Types("T", {0, 1}, kNumericTypes).Inplace(0, 0),
             BinaryFactory<DivImpl>());
  r.Register(KernelDef("Pow")
                 .Opsets(1)
                 .Types("T", {0}, kPowBase)
                 .Types("T1", {1}, kNumericTypes)
                 .Inplace(0, 0),
             BinaryFactory<PowImpl>());
  r.Register(KernelDef("Mod").Opsets(10).Types("T", {0, 1}, kNumericTypes).Inplace(0, 0),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               int64_t fmod = info.GetInt("fmod", 0);
               if (fmod != 0 && fmod != 1) {
                 return info.InvalidModel("fmod must be 0 or 1, got " + std::to_string(fmod));
               }
               ModImpl impl;
               impl.fmod = fmod == 1;
               return std::unique_ptr<Kernel>(new BinaryKernel<ModImpl>(info, impl));
             });
  r.Register(KernelDef("BitShift").Opsets(11).Types("T", {0, 1}, kIntTypes).Inplace(0, 0),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               std::string dir = info.GetString("direction", "");
               if (dir != "LEFT" && dir != "RIGHT") {
                 return info.InvalidModel("direction must be LEFT or RIGHT, got '" + dir + "'");
               }
               BitShiftImpl impl;
               impl.left = dir == "LEFT";
               return std::unique_ptr<Kernel>(new BinaryKernel<BitShiftImpl>(info, impl));
             });
  r.Register(KernelDef("And").Opsets(1).Types("T", {0, 1}, kBool).Inplace(0, 0),
             BinaryFactory<SameTypeImpl<AndOp, bool>>());
  r.Register(KernelDef("Or").Opsets(1).Types("T", {0, 1}, kBool).Inplace(0, 0),
             BinaryFactory<SameTypeImpl<OrOp, bool>>());
  r.Register(KernelDef("Xor").Opsets(1).Types("T", {0, 1}, kBool).Inplace(0, 0),
             BinaryFactory<SameTypeImpl<XorOp, bool>>());
  r.Register(KernelDef("BitwiseAnd").Opsets(18).Types("T", {0, 1}, kIntTypes).Inplace(0, 0),
             BinaryFactory<SameTypeImpl<AndOp, KILN_INT_TYPES>>());
  r.Register(KernelDef("BitwiseOr").Opsets(18).Types("T", {0, 1}, kIntTypes).Inplace(0, 0),
             BinaryFactory<SameTypeImpl<OrOp, KILN_INT_TYPES>>());
  r.Register(KernelDef("BitwiseXor").Opsets(18).Types("T", {0, 1}, kIntTypes).Inplace(0, 0),
             BinaryFactory<SameTypeImpl<XorOp, KILN_INT_TYPES>>());

  const auto equal_types = Concat(kNumericTypes, {DataType::kBool, DataType::kString});
  r.Register(KernelDef("Equal").Opsets(1).Types("T", {0, 1}, equal_types),
             BinaryFactory<CompareImpl<EqualCmp, KILN_NUMERIC_TYPES, bool, std::string>>());
  r.Register(KernelDef("Greater").Opsets(1).Types("T", {0, 1}, kNumericTypes),
             BinaryFactory<CompareImpl<GreaterCmp, KILN_NUMERIC_TYPES>>());
  r.Register(KernelDef("GreaterOrEqual").Opsets(12).Types("T", {0, 1}, kNumericTypes),
             BinaryFactory<CompareImpl<GreaterEqualCmp, KILN_NUMERIC_TYPES>>());
  r.Register(KernelDef("Less").Opsets(1).Types("T", {0, 1}, kNumericTypes),
             BinaryFactory<CompareImpl<LessCmp, KILN_NUMERIC_TYPES>>());
  r.Register(KernelDef("LessOrEqual").Opsets(12).Types("T", {0, 1}, kNumericTypes),
             BinaryFactory<CompareImpl<LessEqualCmp, KILN_NUMERIC_TYPES>>());

  r.Register(KernelDef("Max").Opsets(1).Types("T", {-1}, kNumericTypes),
             Stateless(RunVariadic<MaxOp, false, KILN_NUMERIC_TYPES>));
  r.Register(KernelDef("Min").Opsets(1).Types("T", {-1}, kNumericTypes),
             Stateless(RunVariadic<MinOp, false, KILN_NUMERIC_TYPES>));
  r.Register(KernelDef("Sum").Opsets(1).Types("T", {-1}, kFloatTypes),
             Stateless(RunVariadic<AddOp, false, KILN_FLOAT_TYPES>));
  r.Register(KernelDef("Mean").Opsets(1).Types("T", {-1}, kFloatTypes),
             Stateless(RunVariadic<AddOp, true, KILN_FLOAT_TYPES>));

  std::vector<DataType> where_types;
  for (DataType t : kAllTensorTypes) {
    if (!IsPacked(t)) where_types.push_back(t);
  }
  r.Register(KernelDef("Where").Opsets(9).Types("B", {0}, kBool).Types("T", {1, 2}, where_types),
             Stateless(RunWhere));
  r.Register(KernelDef("PRelu").Opsets(1).Types("T", {0, 1}, kNumericTypes).Inplace(0, 0),
             Stateless(RunPRelu));
}

}  // namespace kiln::cpu
