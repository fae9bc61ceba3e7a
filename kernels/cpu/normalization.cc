// Normalization family kernels (CPU):
//   BatchNormalization         1-5 (spatial, is_test, consumed_inputs), 6, 7-8, 9-13, 14, 15+
//                              (inference; training mode outputs running mean / variance)
//   InstanceNormalization      1-5, 6-21, 22+
//   LayerNormalization         17+ (axis, epsilon, stash_type; optional Mean / InvStdDev outputs)
//   GroupNormalization         18-20 (scale / bias per group), 21+ (per channel, stash_type)
//   RMSNormalization           23+
//   LpNormalization            1-21, 22+ (p = 1 or 2; a zero norm gives 0)
//   LRN                        1-12, 13+
//   MeanVarianceNormalization  9-12, 13+
// Element types: float, double, float16, bfloat16. Statistics accumulate in double; the
// per-element math runs in float (double for double tensors).
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/normalization_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// Per-element math type: double for double tensors, float otherwise.
template <typename T>
using ComputeT = std::conditional_t<std::is_same_v<T, double>, double, float>;

std::string TypeError(DataType dt) {
  return std::string("element type ") + DataTypeName(dt) + " is not supported";
}

// Reads a (small) float tensor into doubles.
StatusOr<std::vector<double>> ReadDoubles(const KernelContext& ctx, const Tensor& t,
                                          const char* what) {
  std::vector<double> v(t.numel());
  bool ok = Dispatch<KILN_FLOAT_TYPES>(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = ToDouble(p[i]);
  });
  if (!ok) return ctx.Unsupported(std::string("input '") + what + "': " + TypeError(t.dtype()));
  return v;
}

// Writes doubles into a float tensor of the same element count.
void WriteDoubles(const std::vector<double>& v, Tensor* t) {
  Dispatch<KILN_FLOAT_TYPES>(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t->data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = FromDouble<T>(v[i]);
  });
}

// Broadcasts a parameter tensor (unidirectionally) to `target` and returns its values in
// row-major order of `target`. Leading 1-dims of the parameter beyond target's rank are ignored.
StatusOr<std::vector<double>> ExpandParam(const KernelContext& ctx, const Tensor& t,
                                          const std::vector<int64_t>& target, const char* what) {
  KILN_ASSIGN_OR_RETURN(const std::vector<int64_t> td, FitParamDims(ctx, t, target, what));
  KILN_ASSIGN_OR_RETURN(std::vector<double> src, ReadDoubles(ctx, t, what));
  int64_t total = 1;
  for (int64_t d : target) total *= d;
  std::vector<double> out(total);
  ForEachBroadcastRun<1>(target, {td},
                         [&](int64_t o, const std::array<int64_t, 1>& offs, int64_t n,
                             const std::array<int64_t, 1>& inner) {
                           for (int64_t j = 0; j < n; ++j) out[o + j] = src[offs[0] + j * inner[0]];
                         });
  return out;
}

// A parameter tensor with exactly `c` elements (one per channel or group), as doubles.
StatusOr<std::vector<double>> ChannelParam(const KernelContext& ctx, int index, const char* what,
                                           int64_t c) {
  KILN_ASSIGN_OR_RETURN(const Tensor* t, CountedParam(ctx, index, what, c));
  return ReadDoubles(ctx, *t, what);
}

// Mean and variance (population) of n contiguous values, accumulated in double.
template <typename T>
void MeanVar(const T* x, int64_t n, double* mean, double* var) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += ToDouble(x[i]);
  const double m = s / static_cast<double>(n);
  double q = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = ToDouble(x[i]) - m;
    q += d * d;
  }
  *mean = m;
  *var = q / static_cast<double>(n);
}

// y[i] = (x[i] - m) * a + b over n contiguous elements.
template <typename T>
void AffineRun(const T* x, T* y, int64_t n, double m, double a, double b) {
  using C = ComputeT<T>;
  const C cm = static_cast<C>(m), ca = static_cast<C>(a), cb = static_cast<C>(b);
  for (int64_t i = 0; i < n; ++i) {
    y[i] = FromDouble<T>(static_cast<double>((static_cast<C>(ToDouble(x[i])) - cm) * ca + cb));
  }
}

// Runs the statements after `dtype` with T bound to X's float element type, or returns an
// Unsupported error naming the type.
#define KILN_DISPATCH_FLOAT_OR_RETURN(ctx, dtype, ...)       \
  do {                                                       \
    if (!Dispatch<KILN_FLOAT_TYPES>((dtype), [&](auto tag) { \
          using T = typename decltype(tag)::type;            \
          __VA_ARGS__;                                       \
        })) {                                                \
      return (ctx).Unsupported(TypeError(dtype));            \
    }                                                        \
  } while (0)

// ---------------------------------------------------------------------------------------------
// BatchNormalization.

class BatchNormKernel : public Kernel {
 public:
  explicit BatchNormKernel(const KernelInfo& info) : attrs_(ReadBatchNormAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    int64_t n, c, s;
    KILN_RETURN_IF_ERROR(GetNCSInput(ctx, "X", &x, &n, &c, &s));
    // Per-parameter coefficients: spatial = 0 (opset < 9) gives one per (channel, position).
    const int64_t per = attrs_.spatial ? c : c * s;
    std::vector<double> p[4];
    for (int i = 0; i < 4; ++i) {
      KILN_ASSIGN_OR_RETURN(const Tensor* t, BatchNormParam(ctx, *x, i, per));
      KILN_ASSIGN_OR_RETURN(p[i], ReadDoubles(ctx, *t, kBatchNormParamNames[i]));
    }
    std::vector<double>& mean = p[2];
    std::vector<double>& var = p[3];
    std::vector<double> batch_mean, batch_var;
    if (attrs_.training) {
      if (!attrs_.spatial) {
        return ctx.Unsupported("training mode with spatial = 0 is not supported");
      }
      batch_mean.assign(c, 0.0);
      batch_var.assign(c, 0.0);
      if (n * s > 0) {
        KILN_DISPATCH_FLOAT_OR_RETURN(ctx, x->dtype(), {
          const T* xp = x->data<T>();
          for (int64_t ci = 0; ci < c; ++ci) {
            double sum = 0;
            for (int64_t ni = 0; ni < n; ++ni) {
              const T* r = xp + (ni * c + ci) * s;
              for (int64_t si = 0; si < s; ++si) sum += ToDouble(r[si]);
            }
            const double m = sum / static_cast<double>(n * s);
            double q = 0;
            for (int64_t ni = 0; ni < n; ++ni) {
              const T* r = xp + (ni * c + ci) * s;
              for (int64_t si = 0; si < s; ++si) {
                const double d = ToDouble(r[si]) - m;
                q += d * d;
              }
            }
            batch_mean[ci] = m;
            batch_var[ci] = q / static_cast<double>(n * s);
          }
        });
      }
    }
    const std::vector<double>& use_mean = attrs_.training ? batch_mean : mean;
    const std::vector<double>& use_var = attrs_.training ? batch_var : var;
    std::vector<double> a(per);
    for (int64_t i = 0; i < per; ++i) {
      a[i] = p[0][i] / std::sqrt(use_var[i] + static_cast<double>(attrs_.epsilon));
    }
    const std::vector<double>& b = p[1];
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    KILN_DISPATCH_FLOAT_OR_RETURN(ctx, x->dtype(), {
      const T* xp = x->data<T>();
      T* yp = y->data<T>();
      for (int64_t ni = 0; ni < n; ++ni) {
        for (int64_t ci = 0; ci < c; ++ci) {
          const int64_t off = (ni * c + ci) * s;
          if (attrs_.spatial) {
            AffineRun(xp + off, yp + off, s, use_mean[ci], a[ci], b[ci]);
          } else {
            for (int64_t si = 0; si < s; ++si) {
              const int64_t q = ci * s + si;
              AffineRun(xp + off + si, yp + off + si, 1, use_mean[q], a[q], b[q]);
            }
          }
        }
      }
    });
    if (!attrs_.training) {
      // Inference with extra outputs requested (old opsets): pass the statistics through.
      for (int i = 1; i < 5; ++i) {
        if (!ctx.output_requested(i)) continue;
        const Tensor* src = ctx.Input(i < 3 ? i + 2 : i);
        KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(i, src->dtype(), src->dims()));
        KILN_ASSIGN_OR_RETURN(std::vector<double> v, ReadDoubles(ctx, *src, "mean"));
        WriteDoubles(v, o);
      }
      return Status::Ok();
    }
    const double mom = attrs_.momentum;
    std::vector<double> run_mean(c), run_var(c);
    for (int64_t i = 0; i < c; ++i) {
      run_mean[i] = mean[i] * mom + batch_mean[i] * (1 - mom);
      run_var[i] = var[i] * mom + batch_var[i] * (1 - mom);
    }
    const std::vector<double>* outs[4] = {&run_mean, &run_var, &batch_mean, &batch_var};
    for (int i = 1; i < 5; ++i) {
      if (!ctx.output_requested(i)) continue;
      const Tensor* like = ctx.Input(i % 2 == 1 ? 3 : 4);
      KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(i, like->dtype(), like->dims()));
      WriteDoubles(*outs[i - 1], o);
    }
    return Status::Ok();
  }

 private:
  BatchNormAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// InstanceNormalization and GroupNormalization: normalize contiguous chunks of X.

class InstanceNormKernel : public Kernel {
 public:
  explicit InstanceNormKernel(const KernelInfo& info) {
    epsilon_ = info.GetFloat("epsilon", 1e-5f);
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    int64_t n, c, s;
    KILN_RETURN_IF_ERROR(GetNCSInput(ctx, "input", &x, &n, &c, &s));
    KILN_ASSIGN_OR_RETURN(std::vector<double> scale, ChannelParam(ctx, 1, "scale", c));
    KILN_ASSIGN_OR_RETURN(std::vector<double> bias, ChannelParam(ctx, 2, "B", c));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    if (x->numel() == 0) return Status::Ok();
    KILN_DISPATCH_FLOAT_OR_RETURN(ctx, x->dtype(), {
      const T* xp = x->data<T>();
      T* yp = y->data<T>();
      for (int64_t i = 0; i < n * c; ++i) {
        double m, v;
        MeanVar(xp + i * s, s, &m, &v);
        const double a = scale[i % c] / std::sqrt(v + epsilon_);
        AffineRun(xp + i * s, yp + i * s, s, m, a, bias[i % c]);
      }
    });
    return Status::Ok();
  }

 private:
  float epsilon_;
};

class GroupNormKernel : public Kernel {
 public:
  explicit GroupNormKernel(const KernelInfo& info) : attrs_(ReadGroupNormAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    int64_t n, c, s;
    KILN_RETURN_IF_ERROR(GetNCSInput(ctx, "X", &x, &n, &c, &s));
    KILN_ASSIGN_OR_RETURN(const GroupNormPlan gp, PlanGroupNorm(ctx, attrs_, c));
    const int64_t g = gp.groups, cpg = gp.per_group;
    const bool per_channel = gp.per_channel;
    KILN_ASSIGN_OR_RETURN(std::vector<double> scale, ChannelParam(ctx, 1, "scale", gp.param_count));
    KILN_ASSIGN_OR_RETURN(std::vector<double> bias, ChannelParam(ctx, 2, "bias", gp.param_count));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    if (x->numel() == 0) return Status::Ok();
    KILN_DISPATCH_FLOAT_OR_RETURN(ctx, x->dtype(), {
      const T* xp = x->data<T>();
      T* yp = y->data<T>();
      for (int64_t ni = 0; ni < n; ++ni) {
        for (int64_t gi = 0; gi < g; ++gi) {
          const int64_t off = (ni * c + gi * cpg) * s;
          double m, v;
          MeanVar(xp + off, cpg * s, &m, &v);
          const double inv = 1.0 / std::sqrt(v + attrs_.epsilon);
          for (int64_t k = 0; k < cpg; ++k) {
            const int64_t p = per_channel ? gi * cpg + k : gi;
            const double a = scale[p] * inv;
            AffineRun(xp + off + k * s, yp + off + k * s, s, m, a, bias[p]);
          }
        }
      }
    });
    return Status::Ok();
  }

 private:
  GroupNormAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// LayerNormalization and RMSNormalization: normalize over the trailing axes [axis, rank).

class RowNormKernel : public Kernel {
 public:
  RowNormKernel(const KernelInfo& info, bool rms) : rms_(rms), attrs_(ReadRowNormAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* scale_t = ctx.Input(1);
    if (x == nullptr || scale_t == nullptr) {
      return ctx.InvalidArgument("inputs 'X' and 'Scale' are required");
    }
    const auto& d = x->dims();
    // Parameters broadcast over the normalized axes (the common case) or over all of X.
    const Tensor* bias_t = rms_ ? nullptr : ctx.Input(2);
    KILN_ASSIGN_OR_RETURN(const RowNormPlan plan, PlanRowNorm(ctx, attrs_, *x, *scale_t, bias_t));
    const int64_t rows = plan.rows, cols = plan.cols;
    const bool full = plan.full;
    std::vector<double> scale, bias;
    auto expand = [&](const Tensor& t, const char* what, std::vector<double>* out) -> Status {
      KILN_ASSIGN_OR_RETURN(*out, ExpandParam(ctx, t, full ? d : plan.tail, what));
      return Status::Ok();
    };
    KILN_RETURN_IF_ERROR(expand(*scale_t, "Scale", &scale));
    if (bias_t != nullptr) KILN_RETURN_IF_ERROR(expand(*bias_t, "B", &bias));

    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), d));
    std::vector<double> means(rows), invs(rows);
    KILN_DISPATCH_FLOAT_OR_RETURN(ctx, x->dtype(), {
      using C = ComputeT<T>;
      const T* xp = x->data<T>();
      T* yp = y->data<T>();
      for (int64_t r = 0; r < rows; ++r) {
        const T* xr = xp + r * cols;
        T* yr = yp + r * cols;
        double m = 0, v = 0;
        if (rms_) {
          for (int64_t j = 0; j < cols; ++j) {
            const double e = ToDouble(xr[j]);
            v += e * e;
          }
          v /= static_cast<double>(cols);
        } else {
          MeanVar(xr, cols, &m, &v);
        }
        const double inv = 1.0 / std::sqrt(v + attrs_.epsilon);
        means[r] = m;
        invs[r] = inv;
        const double* sp = scale.data() + (full ? r * cols : 0);
        const double* bp = bias.empty() ? nullptr : bias.data() + (full ? r * cols : 0);
        const C cm = static_cast<C>(m), ci = static_cast<C>(inv);
        for (int64_t j = 0; j < cols; ++j) {
          C val = (static_cast<C>(ToDouble(xr[j])) - cm) * ci * static_cast<C>(sp[j]);
          if (bp != nullptr) val += static_cast<C>(bp[j]);
          yr[j] = FromDouble<T>(static_cast<double>(val));
        }
      }
    });
    if (!rms_) {
      for (int i = 0; i < 2; ++i) {
        if (!ctx.output_requested(i + 1)) continue;
        const DataType st = attrs_.stat_types[i];
        const DataType dt = st == DataType::kUndefined ? x->dtype() : st;
        KILN_ASSIGN_OR_RETURN(Tensor * o, ctx.Output(i + 1, dt, plan.stat_dims));
        WriteDoubles(i == 0 ? means : invs, o);
      }
    }
    return Status::Ok();
  }

 private:
  bool rms_;
  RowNormAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// LpNormalization, LRN, MeanVarianceNormalization.

class LpNormKernel : public Kernel {
 public:
  explicit LpNormKernel(const KernelInfo& info) {
    axis_ = info.GetInt("axis", -1);
    p_ = info.GetInt("p", 2);
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'input' is missing");
    if (p_ != 1 && p_ != 2) {
      return ctx.InvalidArgument("attribute 'p' must be 1 or 2, got " + std::to_string(p_));
    }
    const int rank = x->rank();
    if (rank == 0) return ctx.InvalidArgument("input must have rank >= 1, got a scalar");
    KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, rank, ctx.node()));
    const auto& d = x->dims();
    const int64_t outer = ProductOfDims(d, 0, axis);
    const int64_t n = d[axis];
    const int64_t inner = ProductOfDims(d, axis + 1, rank);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), d));
    if (x->numel() == 0) return Status::Ok();
    KILN_DISPATCH_FLOAT_OR_RETURN(ctx, x->dtype(), {
      const T* xp = x->data<T>();
      T* yp = y->data<T>();
      std::vector<double> norm(inner);
      for (int64_t o = 0; o < outer; ++o) {
        std::fill(norm.begin(), norm.end(), 0.0);
        const int64_t base = o * n * inner;
        for (int64_t k = 0; k < n; ++k) {
          for (int64_t i = 0; i < inner; ++i) {
            const double v = ToDouble(xp[base + k * inner + i]);
            norm[i] += p_ == 1 ? std::fabs(v) : v * v;
          }
        }
        for (int64_t i = 0; i < inner; ++i) {
          const double nv = p_ == 1 ? norm[i] : std::sqrt(norm[i]);
          norm[i] = nv == 0 ? 0.0 : 1.0 / nv;
        }
        for (int64_t k = 0; k < n; ++k) {
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t e = base + k * inner + i;
            yp[e] = FromDouble<T>(ToDouble(xp[e]) * norm[i]);
          }
        }
      }
    });
    return Status::Ok();
  }

 private:
  int64_t axis_;
  int64_t p_;
};

class LrnKernel : public Kernel {
 public:
  explicit LrnKernel(const KernelInfo& info) : attrs_(ReadLrnAttrs(info)) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    int64_t n, c, s;
    KILN_RETURN_IF_ERROR(GetNCSInput(ctx, "X", &x, &n, &c, &s));
    KILN_RETURN_IF_ERROR(CheckLrnAttrs(ctx, attrs_));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    if (x->numel() == 0) return Status::Ok();
    const int64_t before = attrs_.before();
    const int64_t after = attrs_.after();
    const double scale = attrs_.scale();
    KILN_DISPATCH_FLOAT_OR_RETURN(ctx, x->dtype(), {
      using C = ComputeT<T>;
      const T* xp = x->data<T>();
      T* yp = y->data<T>();
      std::vector<C> sq(c * s), sum(s);
      for (int64_t ni = 0; ni < n; ++ni) {
        const T* xn = xp + ni * c * s;
        T* yn = yp + ni * c * s;
        for (int64_t i = 0; i < c * s; ++i) {
          const C v = static_cast<C>(ToDouble(xn[i]));
          sq[i] = v * v;
        }
        for (int64_t ci = 0; ci < c; ++ci) {
          std::fill(sum.begin(), sum.end(), C(0));
          const int64_t lo = std::max<int64_t>(0, ci - before);
          const int64_t hi = std::min<int64_t>(c - 1, ci + after);
          for (int64_t k = lo; k <= hi; ++k) {
            const C* q = sq.data() + k * s;
            for (int64_t si = 0; si < s; ++si) sum[si] += q[si];
          }
          for (int64_t si = 0; si < s; ++si) {
            const C den = std::pow(static_cast<C>(attrs_.bias) + static_cast<C>(scale) * sum[si],
                                   static_cast<C>(attrs_.beta));
            yn[ci * s + si] =
                FromDouble<T>(static_cast<double>(static_cast<C>(ToDouble(xn[ci * s + si])) / den));
          }
        }
      }
    });
    return Status::Ok();
  }

 private:
  LrnAttrs attrs_;
};

class MvnKernel : public Kernel {
 public:
  explicit MvnKernel(const KernelInfo& info) { axes_ = info.GetInts("axes", {0, 2, 3}); }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("input 'X' is missing");
    const int rank = x->rank();
    std::vector<int64_t> kept = x->dims();
    int64_t count = 1;
    std::vector<bool> seen(rank, false);
    for (int64_t a : axes_) {
      if (a < -rank || a >= rank) {
        return ctx.InvalidArgument("axis " + std::to_string(a) +
                                   " is out of range for input of shape " +
                                   DimsToString(x->dims()));
      }
      const int i = static_cast<int>(a < 0 ? a + rank : a);
      if (seen[i]) return ctx.InvalidArgument("axis " + std::to_string(a) + " appears twice");
      seen[i] = true;
      count *= kept[i];
      kept[i] = 1;
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
    if (x->numel() == 0) return Status::Ok();
    int64_t stats_n = 1;
    for (int64_t k : kept) stats_n *= k;
    const std::vector<int64_t>& dims = x->dims();
    KILN_DISPATCH_FLOAT_OR_RETURN(ctx, x->dtype(), {
      const T* xp = x->data<T>();
      T* yp = y->data<T>();
      std::vector<double> mean(stats_n, 0.0), var(stats_n, 0.0);
      auto walk = [&](auto&& f) {
        ForEachBroadcastRun<1>(dims, {kept},
                               [&](int64_t xo, const std::array<int64_t, 1>& offs, int64_t len,
                                   const std::array<int64_t, 1>& inner) {
                                 for (int64_t j = 0; j < len; ++j)
                                   f(xo + j, offs[0] + j * inner[0]);
                               });
      };
      walk([&](int64_t xi, int64_t si) { mean[si] += ToDouble(xp[xi]); });
      for (double& m : mean) m /= static_cast<double>(count);
      walk([&](int64_t xi, int64_t si) {
        const double dv = ToDouble(xp[xi]) - mean[si];
        var[si] += dv * dv;
      });
      // The spec's function: (X - E[X]) / (sqrt(Var[X]) + 1e-9).
      for (double& v : var) v = 1.0 / (std::sqrt(v / static_cast<double>(count)) + 1e-9);
      walk([&](int64_t xi, int64_t si) {
        yp[xi] = FromDouble<T>((ToDouble(xp[xi]) - mean[si]) * var[si]);
      });
    });
    return Status::Ok();
  }

 private:
  std::vector<int64_t> axes_;
};

template <typename K>
KernelFactory Factory() {
  return [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(new K(info));
  };
}

}  // namespace

void RegisterNormalizationKernels(KernelRegistry& r) {
  const std::vector<DataType>& f = kFloatTypes;
  // BatchNormalization: T (X, Y), T1 (scale, B) and T2 (mean, var) may differ from opset 15.
  const int bn_versions[] = {1, 6, 7, 9, 14, 15};
  for (size_t i = 0; i < 6; ++i) {
    const int end = i + 1 < 6 ? bn_versions[i + 1] - 1 : kMaxOpset;
    KernelDef def = KernelDef("BatchNormalization").Opsets(bn_versions[i], end);
    if (bn_versions[i] >= 15) {
      def.Types("T", {0}, f).Types("T1", {1, 2}, f).Types("T2", {3, 4}, f);
    } else {
      def.Types("T", {0, 1, 2, 3, 4}, f);
    }
    r.Register(def, Factory<BatchNormKernel>());
  }
  r.Register(KernelDef("InstanceNormalization").Opsets(1, 5).Types("T", {0, 1, 2}, f),
             Factory<InstanceNormKernel>());
  r.Register(KernelDef("InstanceNormalization").Opsets(6, 21).Types("T", {0, 1, 2}, f),
             Factory<InstanceNormKernel>());
  r.Register(KernelDef("InstanceNormalization").Opsets(22).Types("T", {0, 1, 2}, f),
             Factory<InstanceNormKernel>());
  r.Register(KernelDef("LayerNormalization").Opsets(17).Types("T", {0, 1, 2}, f),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               return std::unique_ptr<Kernel>(new RowNormKernel(info, /*rms=*/false));
             });
  r.Register(KernelDef("RMSNormalization").Opsets(23).Types("T", {0}, f).Types("V", {1}, f),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               return std::unique_ptr<Kernel>(new RowNormKernel(info, /*rms=*/true));
             });
  r.Register(KernelDef("GroupNormalization").Opsets(18, 20).Types("T", {0, 1, 2}, f),
             Factory<GroupNormKernel>());
  r.Register(KernelDef("GroupNormalization").Opsets(21).Types("T", {0, 1, 2}, f),
             Factory<GroupNormKernel>());
  r.Register(KernelDef("LpNormalization").Opsets(1, 21).Types("T", {0}, f),
             Factory<LpNormKernel>());
  r.Register(KernelDef("LpNormalization").Opsets(22).Types("T", {0}, f), Factory<LpNormKernel>());
  r.Register(KernelDef("LRN").Opsets(1, 12).Types("T", {0}, f), Factory<LrnKernel>());
  r.Register(KernelDef("LRN").Opsets(13).Types("T", {0}, f), Factory<LrnKernel>());
  r.Register(KernelDef("MeanVarianceNormalization").Opsets(9, 12).Types("T", {0}, f),
             Factory<MvnKernel>());
  r.Register(KernelDef("MeanVarianceNormalization").Opsets(13).Types("T", {0}, f),
             Factory<MvnKernel>());
}

}  // namespace kiln::cpu
