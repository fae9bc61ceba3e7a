// Softmax family kernels (CPU):
//   Softmax     1-10, 11-12 (flatten to 2-D at `axis`, default 1), 13+ (along `axis`, default -1)
//   LogSoftmax  1-10, 11-12, 13+ (same semantics as Softmax)
//   Hardmax     1-10, 11-12, 13+ (same semantics as Softmax; the first maximum wins)
// Element types: float, double, float16, bfloat16 (16-bit types computed in float).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/softmax_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// Math type for an element type: double stays double, the rest compute in float.
template <typename T>
using ComputeT = std::conditional_t<std::is_same_v<T, double>, double, float>;

// x, y: [outer, n, inner] row-major. Rows along n are reduced; inner positions are independent.
template <typename T>
void SoftmaxImpl(SoftmaxKind kind, const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  using C = ComputeT<T>;
  auto load = [](T v) { return static_cast<C>(ToDouble(v)); };
  auto store = [](C v) { return FromDouble<T>(static_cast<double>(v)); };
  constexpr C kNegInf = -std::numeric_limits<C>::infinity();
  // Softmax of 16-bit types rounds its intermediates (x - max, exp, the sum) to T, as a 16-bit
  // computation does; this agrees with the reference bit for bit. Identity for float / double.
  auto round_t = [&](C v) -> C {
    if constexpr (std::is_same_v<T, C>) {
      return v;
    } else {
      return load(store(v));
    }
  };
  auto soft_exp = [&](C v, C m) -> C { return round_t(std::exp(round_t(v - m))); };
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o) {
      const T* xr = x + o * n;
      T* yr = y + o * n;
      C mx = kNegInf;
      int64_t arg = 0;
      for (int64_t k = 0; k < n; ++k) {
        C v = load(xr[k]);
        if (v > mx || (std::isnan(v) && !std::isnan(mx))) {
          mx = v;
          arg = k;
        }
      }
      if (kind == SoftmaxKind::kHardmax) {
        for (int64_t k = 0; k < n; ++k) yr[k] = store(k == arg ? C(1) : C(0));
        continue;
      }
      C sum = 0;
      if (kind == SoftmaxKind::kSoftmax) {
        if constexpr (std::is_same_v<T, C>) {
          for (int64_t k = 0; k < n; ++k) {
            C e = std::exp(xr[k] - mx);
            sum += e;
            yr[k] = e;
          }
          const C inv = C(1) / sum;
          for (int64_t k = 0; k < n; ++k) yr[k] *= inv;
        } else {
          for (int64_t k = 0; k < n; ++k) {
            const C e = soft_exp(load(xr[k]), mx);
            sum += e;
            yr[k] = store(e);
          }
          const C s = round_t(sum);
          for (int64_t k = 0; k < n; ++k) yr[k] = store(load(yr[k]) / s);
        }
      } else {
        for (int64_t k = 0; k < n; ++k) sum += std::exp(load(xr[k]) - mx);
        const C log_sum = std::log(sum);
        for (int64_t k = 0; k < n; ++k) yr[k] = store((load(xr[k]) - mx) - log_sum);
      }
    }
    return;
  }
  // Strided case: process all inner positions of one outer slice together (contiguous loops).
  std::vector<C> mx(inner), sum(inner);
  std::vector<int64_t> arg(inner);
  for (int64_t o = 0; o < outer; ++o) {
    const T* xs = x + o * n * inner;
    T* ys = y + o * n * inner;
    std::fill(mx.begin(), mx.end(), kNegInf);
    std::fill(sum.begin(), sum.end(), C(0));
    std::fill(arg.begin(), arg.end(), 0);
    for (int64_t k = 0; k < n; ++k) {
      const T* xr = xs + k * inner;
      for (int64_t i = 0; i < inner; ++i) {
        C v = load(xr[i]);
        if (v > mx[i] || (std::isnan(v) && !std::isnan(mx[i]))) {
          mx[i] = v;
          arg[i] = k;
        }
      }
    }
    if (kind == SoftmaxKind::kHardmax) {
      for (int64_t k = 0; k < n; ++k) {
        T* yr = ys + k * inner;
        for (int64_t i = 0; i < inner; ++i) yr[i] = store(arg[i] == k ? C(1) : C(0));
      }
      continue;
    }
    const bool soft = kind == SoftmaxKind::kSoftmax;
    for (int64_t k = 0; k < n; ++k) {
      const T* xr = xs + k * inner;
      for (int64_t i = 0; i < inner; ++i) {
        const C v = load(xr[i]);
        sum[i] += soft ? soft_exp(v, mx[i]) : std::exp(v - mx[i]);
      }
    }
    if (soft) {
      for (int64_t i = 0; i < inner; ++i) sum[i] = round_t(sum[i]);
      for (int64_t k = 0; k < n; ++k) {
        const T* xr = xs + k * inner;
        T* yr = ys + k * inner;
        for (int64_t i = 0; i < inner; ++i) yr[i] = store(soft_exp(load(xr[i]), mx[i]) / sum[i]);
      }
    } else {
      for (int64_t i = 0; i < inner; ++i) sum[i] = std::log(sum[i]);
      for (int64_t k = 0; k < n; ++k) {
        const T* xr = xs + k * inner;
        T* yr = ys + k * inner;
        for (int64_t i = 0; i < inner; ++i) yr[i] = store((load(xr[i]) - mx[i]) - sum[i]);
      }
    }
  }
}

class SoftmaxKernel : public Kernel {
 public:
  SoftmaxKernel(SoftmaxKind kind, const SoftmaxAttrs& attrs) : kind_(kind), attrs_(attrs) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 0 is missing");
    KILN_ASSIGN_OR_RETURN(const SoftmaxSplit sp, PlanSoftmax(ctx, attrs_, *x));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    if (x->numel() == 0) return Status::Ok();
    bool ok = Dispatch<KILN_FLOAT_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      SoftmaxImpl<T>(kind_, x->data<T>(), y->data<T>(), sp.outer, sp.n, sp.inner);
    });
    if (!ok) {
      return ctx.Unsupported(std::string("element type ") + DataTypeName(x->dtype()) +
                             " is not supported");
    }
    return Status::Ok();
  }

 private:
  SoftmaxKind kind_;
  SoftmaxAttrs attrs_;
};

KernelFactory SoftmaxFactory(SoftmaxKind kind) {
  return [kind](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    const SoftmaxAttrs attrs = ReadSoftmaxAttrs(info);
    return std::unique_ptr<Kernel>(new SoftmaxKernel(kind, attrs));
  };
}

}  // namespace

void RegisterSoftmaxKernels(KernelRegistry& r) {
  const struct {
    const char* op;
    SoftmaxKind kind;
  } ops[] = {{"Softmax", SoftmaxKind::kSoftmax},
             {"LogSoftmax", SoftmaxKind::kLogSoftmax},
             {"Hardmax", SoftmaxKind::kHardmax}};
  for (const auto& op : ops) {
    r.Register(KernelDef(op.op).Opsets(1, 10).Types("T", {0}, kFloatTypes),
               SoftmaxFactory(op.kind));
    r.Register(KernelDef(op.op).Opsets(11, 12).Types("T", {0}, kFloatTypes),
               SoftmaxFactory(op.kind));
    r.Register(KernelDef(op.op).Opsets(13).Types("T", {0}, kFloatTypes), SoftmaxFactory(op.kind));
  }
}

}  // namespace kiln::cpu
