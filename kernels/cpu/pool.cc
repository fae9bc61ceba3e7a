// Pooling kernels (CPU):
//   MaxPool            1+  (float, double, float16, bfloat16, int8, uint8; Indices output with
//                           storage_order, dilations, ceil_mode, auto_pad)
//   AveragePool        1+  (float, double, float16, bfloat16; count_include_pad, ceil_mode,
//                           dilations, auto_pad)
//   LpPool             1+  (p is a float attribute at opset 1, an int from 2; ceil_mode and
//                           dilations from 18)
//   GlobalAveragePool  1+, GlobalMaxPool 1+, GlobalLpPool 1+
//   MaxUnpool          9-10, 11+ (the inverse of MaxPool with Indices)
// float32 MaxPool (without Indices) and AveragePool over 1 or 2 spatial dims with dilation 1 run on
// FastPool (row-reduced, vectorized, threaded); other float32 windows on oneDNN when it can express
// them; every other case runs a direct loop over 1, 2 or 3 spatial dims.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/conv_pool_util.h"
#include "kernels/cpu/register.h"
#include "kernels/cpu/threads.h"
#include "kernels/ops/common.h"
#include "kernels/ops/conv_pool_params.h"
#include "kernels/ops/resize_params.h"  // ReadInt64s

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

template <typename T>
using AccOf = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename A, typename T>
inline A Load(T v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return static_cast<A>(ToFloat(v));
  } else {
    return static_cast<A>(v);
  }
}

template <typename T, typename A>
inline T Store(A v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return FromDouble<T>(v);
  } else {
    return static_cast<T>(v);
  }
}

// Per spatial dim (promoted to 3 dims, leading dims of size 1) and output index: the first tap
// start, the valid tap range [lo, hi) and the tap count inside the padded extent.
struct DimTaps {
  std::vector<int64_t> start, lo, hi, padded_count;
};

struct Geometry3 {
  int64_t in[3], k[3], s[3], d[3], out[3];
  DimTaps taps[3];
};

Geometry3 Promote(const Geometry& g) {
  Geometry3 r;
  const int shift = 3 - g.nd;
  for (int i = 0; i < 3; ++i) {
    const int j = i - shift;
    const bool real = j >= 0;
    r.in[i] = real ? g.in[j] : 1;
    r.k[i] = real ? g.kernel[j] : 1;
    r.s[i] = real ? g.stride[j] : 1;
    r.d[i] = real ? g.dilation[j] : 1;
    r.out[i] = real ? g.out[j] : 1;
    const int64_t pb = real ? g.pad_begin[j] : 0, pe = real ? g.pad_end[j] : 0;
    DimTaps& t = r.taps[i];
    for (int64_t o = 0; o < r.out[i]; ++o) {
      const int64_t st = o * r.s[i] - pb;
      int64_t lo = st < 0 ? (-st + r.d[i] - 1) / r.d[i] : 0;
      int64_t hi = r.in[i] - st <= 0 ? 0 : std::min(r.k[i], (r.in[i] - st + r.d[i] - 1) / r.d[i]);
      if (hi < lo) hi = lo;
      const int64_t limit = r.in[i] + pe - st;  // taps with coordinate < in + pad_end
      const int64_t pc = limit <= 0 ? 0 : std::min(r.k[i], (limit + r.d[i] - 1) / r.d[i]);
      t.start.push_back(st);
      t.lo.push_back(lo);
      t.hi.push_back(hi);
      t.padded_count.push_back(pc);
    }
  }
  return r;
}

// Direct pooling of `planes` planes (N * C).
template <typename T>
void PoolDirect(const Geometry3& g, const PoolAttrs& pp, int64_t planes, const T* x, T* y,
                int64_t* indices) {
  using A = AccOf<T>;
  const int64_t in_plane = g.in[0] * g.in[1] * g.in[2];
  const int64_t out_plane = g.out[0] * g.out[1] * g.out[2];
  for (int64_t nc = 0; nc < planes; ++nc) {
    const T* xp = x + nc * in_plane;
    int64_t oi = nc * out_plane;
    for (int64_t o0 = 0; o0 < g.out[0]; ++o0) {
      for (int64_t o1 = 0; o1 < g.out[1]; ++o1) {
        for (int64_t o2 = 0; o2 < g.out[2]; ++o2, ++oi) {
          const int64_t s0 = g.taps[0].start[o0], s1 = g.taps[1].start[o1],
                        s2 = g.taps[2].start[o2];
          const int64_t l0 = g.taps[0].lo[o0], h0 = g.taps[0].hi[o0];
          const int64_t l1 = g.taps[1].lo[o1], h1 = g.taps[1].hi[o1];
          const int64_t l2 = g.taps[2].lo[o2], h2 = g.taps[2].hi[o2];
          if (pp.kind == PoolKind::kMax) {
            bool found = false;
            T best{};
            A best_a = std::numeric_limits<A>::lowest();
            int64_t bi0 = 0, bi1 = 0, bi2 = 0;
            for (int64_t k0 = l0; k0 < h0; ++k0) {
              const int64_t i0 = s0 + k0 * g.d[0];
              for (int64_t k1 = l1; k1 < h1; ++k1) {
                const int64_t i1 = s1 + k1 * g.d[1];
                const T* row = xp + (i0 * g.in[1] + i1) * g.in[2];
                for (int64_t k2 = l2; k2 < h2; ++k2) {
                  const int64_t i2 = s2 + k2 * g.d[2];
                  const T v = row[i2];
                  bool better;
                  if constexpr (std::is_integral_v<T>) {
                    better = !found || v > best;
                  } else {
                    better = !found || Load<A>(v) > best_a;
                  }
                  if (better) {
                    found = true;
                    best = v;
                    best_a = Load<A>(v);
                    bi0 = i0;
                    bi1 = i1;
                    bi2 = i2;
                  }
                }
              }
            }
            if (!found) {
              if constexpr (std::is_integral_v<T>) {
                best = std::numeric_limits<T>::lowest();
              } else {
                best = Store<T>(std::numeric_limits<A>::lowest());
              }
            }
            y[oi] = best;
            if (indices != nullptr) {
              const int64_t flat = pp.storage_order == 0
                                       ? (bi0 * g.in[1] + bi1) * g.in[2] + bi2
                                       : bi0 + bi1 * g.in[0] + bi2 * g.in[0] * g.in[1];
              indices[oi] = nc * in_plane + flat;
            }
            continue;
          }
          A sum = 0;
          for (int64_t k0 = l0; k0 < h0; ++k0) {
            const int64_t i0 = s0 + k0 * g.d[0];
            for (int64_t k1 = l1; k1 < h1; ++k1) {
              const int64_t i1 = s1 + k1 * g.d[1];
              const T* row = xp + (i0 * g.in[1] + i1) * g.in[2];
              for (int64_t k2 = l2; k2 < h2; ++k2) {
                const A v = Load<A>(row[s2 + k2 * g.d[2]]);
                if (pp.kind == PoolKind::kAvg) {
                  sum += v;
                } else if (pp.p == 2.0) {
                  sum += v * v;
                } else if (pp.p == 1.0) {
                  sum += std::abs(v);
                } else {
                  sum += static_cast<A>(std::pow(std::abs(v), static_cast<A>(pp.p)));
                }
              }
            }
          }
          A r;
          if (pp.kind == PoolKind::kAvg) {
            const int64_t count = pp.count_include_pad
                                      ? g.taps[0].padded_count[o0] * g.taps[1].padded_count[o1] *
                                            g.taps[2].padded_count[o2]
                                      : (h0 - l0) * (h1 - l1) * (h2 - l2);
            r = sum / static_cast<A>(count);
          } else if (pp.p == 2.0) {
            r = std::sqrt(sum);
          } else if (pp.p == 1.0) {
            r = sum;
          } else {
            r = static_cast<A>(std::pow(sum, static_cast<A>(1.0 / pp.p)));
          }
          y[oi] = Store<T>(r);
        }
      }
    }
  }
}

// Sum and max of n floats in 8 lanes (vectorized; max ignores NaN as PoolDirect does).
float SumFloats(const float* x, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) lane[j] += x[i + j];
  }
  float sum =
      ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  for (; i < n; ++i) sum += x[i];
  return sum;
}

float MaxFloats(const float* x, int64_t n) {
  float r = std::numeric_limits<float>::lowest();
  int64_t i = 0;
  if (n >= 8) {
    float lane[8];
    for (int j = 0; j < 8; ++j) lane[j] = r;
    for (; i + 8 <= n; i += 8) {
      for (int j = 0; j < 8; ++j) lane[j] = x[i + j] > lane[j] ? x[i + j] : lane[j];
    }
    for (int j = 0; j < 8; ++j) r = lane[j] > r ? lane[j] : r;
  }
  for (; i < n; ++i) r = x[i] > r ? x[i] : r;
  return r;
}

// Global pooling over each plane of `plane` elements.
template <typename T>
void GlobalPool(const PoolAttrs& pp, int64_t planes, int64_t plane, const T* x, T* y) {
  using A = AccOf<T>;
  if constexpr (std::is_same_v<T, float>) {
    if (pp.kind != PoolKind::kLp) {
      ParallelFor(planes, std::max<int64_t>(1, 32768 / plane), [&](int64_t begin, int64_t end) {
        for (int64_t nc = begin; nc < end; ++nc) {
          const float* xp = x + nc * plane;
          y[nc] = pp.kind == PoolKind::kMax ? MaxFloats(xp, plane)
                                            : SumFloats(xp, plane) / static_cast<float>(plane);
        }
      });
      return;
    }
  }
  for (int64_t nc = 0; nc < planes; ++nc) {
    const T* xp = x + nc * plane;
    A r;
    if (pp.kind == PoolKind::kMax) {
      r = std::numeric_limits<A>::lowest();
      for (int64_t i = 0; i < plane; ++i) r = std::max(r, Load<A>(xp[i]));
    } else if (pp.kind == PoolKind::kAvg) {
      A sum = 0;
      for (int64_t i = 0; i < plane; ++i) sum += Load<A>(xp[i]);
      r = sum / static_cast<A>(plane);
    } else {
      A sum = 0;
      for (int64_t i = 0; i < plane; ++i) {
        sum += static_cast<A>(std::pow(std::abs(Load<A>(xp[i])), static_cast<A>(pp.p)));
      }
      r = static_cast<A>(std::pow(sum, static_cast<A>(1.0 / pp.p)));
    }
    y[nc] = Store<T>(r);
  }
}

// float32 max / average pooling over 1 or 2 spatial dims, dilation 1 (the CNN case: oneDNN 2.6
// runs plain NCHW pooling on its reference path, 10-50x slower). Per output row, the window's
// valid input rows are first reduced element-wise into one row (contiguous, vectorized), then each
// output takes its window of that row. Split over (plane, output row) with ParallelFor. Same
// results as PoolDirect: a max ignores NaN but for the first tap, an empty window gives lowest()
// (max) or 0 / count (average).
bool FastPoolApplies(const Geometry& g, const PoolAttrs& pp) {
  if (pp.kind == PoolKind::kLp || g.nd < 1 || g.nd > 2) return false;
  for (int d = 0; d < g.nd; ++d) {
    if (g.dilation[d] != 1) return false;
  }
  return true;
}

// The outputs [ow_begin, ow_end) of one row, every window entirely inside `src` (taps 0..kw).
template <bool kMax, int kKw>
void PoolRowInterior(const float* src, int64_t offset, int64_t sw, int64_t kw_dyn,
                     int64_t ow_begin, int64_t ow_end, float scale, float* y) {
  const int64_t kw = kKw > 0 ? kKw : kw_dyn;
  for (int64_t ow = ow_begin; ow < ow_end; ++ow) {
    const float* p = src + (ow * sw + offset);
    float r = p[0];
    for (int64_t k = 1; k < kw; ++k) {
      if constexpr (kMax) {
        r = p[k] > r ? p[k] : r;
      } else {
        r += p[k];
      }
    }
    y[ow] = kMax ? r : r * scale;
  }
}

template <bool kMax>
void FastPoolRows(const Geometry3& g, const PoolAttrs& pp, const float* x, float* y, int64_t begin,
                  int64_t end) {
  const int64_t H = g.in[1], W = g.in[2], OH = g.out[1], OW = g.out[2];
  const int64_t kw = g.k[2], sw = g.s[2];
  const DimTaps& th = g.taps[1];
  const DimTaps& tw = g.taps[2];
  // Outputs whose window lies entirely inside the row: taps [0, kw) all valid.
  int64_t interior_begin = OW, interior_end = OW;
  for (int64_t ow = 0; ow < OW; ++ow) {
    if (tw.lo[ow] == 0 && tw.hi[ow] == kw) {
      if (interior_begin == OW) interior_begin = ow;
      interior_end = ow + 1;
    } else if (interior_begin != OW) {
      break;
    }
  }
  std::vector<float> buf(static_cast<size_t>(W));
  for (int64_t unit = begin; unit < end; ++unit) {
    const int64_t plane = unit / OH, oh = unit % OH;
    const float* xp = x + plane * H * W;
    float* yr = y + unit * OW;
    const int64_t h0 = th.start[oh] + th.lo[oh], h1 = th.start[oh] + th.hi[oh];
    const int64_t rows = h1 - h0;
    const float* src = buf.data();
    if (rows == 1) {
      src = xp + h0 * W;
    } else if (rows > 1) {
      const float* r0 = xp + h0 * W;
      const float* r1 = r0 + W;
      float* b = buf.data();
      for (int64_t i = 0; i < W; ++i) {
        if constexpr (kMax) {
          b[i] = r1[i] > r0[i] ? r1[i] : r0[i];
        } else {
          b[i] = r0[i] + r1[i];
        }
      }
      for (int64_t h = h0 + 2; h < h1; ++h) {
        const float* r = xp + h * W;
        for (int64_t i = 0; i < W; ++i) {
          if constexpr (kMax) {
            b[i] = r[i] > b[i] ? r[i] : b[i];
          } else {
            b[i] += r[i];
          }
        }
      }
    }
    // Edge outputs (windows cut by padding or the row's end), and every output of an empty row.
    auto edge = [&](int64_t ow) {
      const int64_t lo = tw.lo[ow], hi = tw.hi[ow];
      const int64_t st = tw.start[ow];
      if constexpr (kMax) {
        float r = std::numeric_limits<float>::lowest();
        if (rows > 0 && hi > lo) {
          r = src[st + lo];
          for (int64_t k = lo + 1; k < hi; ++k) r = src[st + k] > r ? src[st + k] : r;
        }
        yr[ow] = r;
      } else {
        float sum = 0;
        if (rows > 0) {
          for (int64_t k = lo; k < hi; ++k) sum += src[st + k];
        }
        const int64_t count =
            pp.count_include_pad ? th.padded_count[oh] * tw.padded_count[ow] : rows * (hi - lo);
        yr[ow] = sum / static_cast<float>(count);
      }
    };
    if (rows <= 0) {
      for (int64_t ow = 0; ow < OW; ++ow) edge(ow);
      continue;
    }
    for (int64_t ow = 0; ow < interior_begin; ++ow) edge(ow);
    if (interior_begin < interior_end) {
      const int64_t count = pp.count_include_pad ? th.padded_count[oh] * kw : rows * kw;
      const float scale = 1.0f / static_cast<float>(count);
      const int64_t off = tw.start[0];  // output ow's window starts at ow * sw + off
      if (kw == 2) {
        PoolRowInterior<kMax, 2>(src, off, sw, kw, interior_begin, interior_end, scale, yr);
      } else if (kw == 3) {
        PoolRowInterior<kMax, 3>(src, off, sw, kw, interior_begin, interior_end, scale, yr);
      } else {
        PoolRowInterior<kMax, 0>(src, off, sw, kw, interior_begin, interior_end, scale, yr);
      }
    }
    for (int64_t ow = interior_end; ow < OW; ++ow) edge(ow);
  }
}

void FastPool(const Geometry3& g, const PoolAttrs& pp, int64_t planes, const float* x, float* y) {
  const int64_t units = planes * g.out[1];
  const int64_t unit_cost = g.k[1] * g.in[2] + g.out[2] * g.k[2];
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(unit_cost, 1));
  ParallelFor(units, grain, [&](int64_t begin, int64_t end) {
    if (pp.kind == PoolKind::kMax) {
      FastPoolRows<true>(g, pp, x, y, begin, end);
    } else {
      FastPoolRows<false>(g, pp, x, y, begin, end);
    }
  });
}

// A oneDNN pooling primitive for one input shape; `ok` is false when oneDNN cannot express it.
// Prepare makes it on the run the memory plan records (a KernelState, read by later runs without a
// lock); runs without a plan take it from the kernel's ShapeCache, which Prepare fills too.
struct DnnlPool final : KernelState {
  bool ok = false;
  dnnl::pooling_v2_forward::primitive_desc pd;
  dnnl::pooling_v2_forward prim;
};

class PoolKernel : public Kernel {
 public:
  PoolKernel(const KernelInfo& info, PoolKind kind, bool global) : global_(global) {
    init_ = ParsePoolAttrs(info, kind, global, &params_);
  }
  const Status& init_status() const { return init_; }

  // The oneDNN primitive for this input shape, when Run would take the oneDNN path; nothing
  // otherwise (Run then reports what is wrong with the input, or runs the direct loops).
  StatusOr<std::shared_ptr<const KernelState>> Prepare(KernelContext& ctx) const override {
    std::shared_ptr<const KernelState> none;
    const Tensor* x;
    if (global_ || !GetPoolInput(ctx, &x).ok() || !UsesDnnl(ctx, *x)) return none;
    Geometry g;
    std::vector<int64_t> out_dims;
    if (!ResolvePoolShape(ctx, params_, x->dims(), &g, &out_dims).ok() ||
        ProductOfDims(out_dims, 0, static_cast<int>(out_dims.size())) == 0 ||
        FastPoolApplies(g, params_)) {
      return none;
    }
    return std::shared_ptr<const KernelState>(DnnlFor(*x, g));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x;
    KILN_RETURN_IF_ERROR(GetPoolInput(ctx, &x));
    const int nd = x->rank() - 2;
    const int64_t planes = x->dim(0) * x->dim(1);
    std::vector<int64_t> in(x->dims().begin() + 2, x->dims().end());
    if (global_) {
      std::vector<int64_t> out_dims = {x->dim(0), x->dim(1)};
      out_dims.resize(x->rank(), 1);
      KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_dims));
      const int64_t plane = ProductOfDims(in, 0, nd);
      if (planes == 0) return Status::Ok();
      if (plane == 0) return ctx.InvalidArgument("global pooling over an empty spatial extent");
      bool done = Dispatch<float, double, Float16, BFloat16>(x->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        GlobalPool<T>(params_, planes, plane, x->data<T>(), y->data<T>());
      });
      if (!done) return ctx.Unsupported(std::string("type ") + DataTypeName(x->dtype()));
      return Status::Ok();
    }
    Geometry g;
    std::vector<int64_t> out_dims;
    KILN_RETURN_IF_ERROR(ResolvePoolShape(ctx, params_, x->dims(), &g, &out_dims));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_dims));
    int64_t* indices = nullptr;
    if (params_.kind == PoolKind::kMax && ctx.output_requested(1)) {
      KILN_ASSIGN_OR_RETURN(Tensor * ind, ctx.Output(1, DataType::kInt64, out_dims));
      indices = ind->data<int64_t>();
    }
    if (y->numel() == 0) return Status::Ok();
    if (UsesFast(ctx, *x, g)) {
      FastPool(Promote(g), params_, planes, x->data<float>(), y->data<float>());
      return Status::Ok();
    }
    if (UsesDnnl(ctx, *x) && RunDnnl(ctx, *x, g, y)) {
      return Status::Ok();
    }
    const Geometry3 g3 = Promote(g);
    bool done = Dispatch<float, double, Float16, BFloat16>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      PoolDirect<T>(g3, params_, planes, x->data<T>(), y->data<T>(), indices);
    });
    if (!done && params_.kind == PoolKind::kMax) {
      done = Dispatch<int8_t, uint8_t>(x->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        PoolDirect<T>(g3, params_, planes, x->data<T>(), y->data<T>(), indices);
      });
    }
    if (!done) return ctx.Unsupported(std::string("type ") + DataTypeName(x->dtype()));
    return Status::Ok();
  }

 private:
  // Whether FastPool takes this pooling: float32 over 1 or 2 spatial dims, dilation 1, max without
  // Indices or average.
  bool UsesFast(const KernelContext& ctx, const Tensor& x, const Geometry& g) const {
    return UsesDnnl(ctx, x) && FastPoolApplies(g, params_);
  }

  // Whether oneDNN may take this pooling: float32, not Lp, no Indices output.
  bool UsesDnnl(const KernelContext& ctx, const Tensor& x) const {
    return x.dtype() == DataType::kFloat && params_.kind != PoolKind::kLp &&
           !(params_.kind == PoolKind::kMax && ctx.output_requested(1));
  }

  // The oneDNN primitive for this input shape from the per-kernel cache, built on a miss.
  std::shared_ptr<const DnnlPool> DnnlFor(const Tensor& x, const Geometry& g) const {
    return cache_.Get(x.dims(), [&] { return std::make_shared<DnnlPool>(MakeDnnl(x, g)); });
  }

  // Runs float32 pooling on oneDNN; false when oneDNN cannot express this window.
  bool RunDnnl(KernelContext& ctx, const Tensor& x, const Geometry& g, Tensor* y) const {
    const DnnlPool* e = ctx.state<DnnlPool>();  // prepared for exactly this shape: no lock
    std::shared_ptr<const DnnlPool> held;
    if (e == nullptr) {
      held = DnnlFor(x, g);
      e = held.get();
    }
    if (!e->ok) return false;
    try {
      const dnnl::engine& eng = DnnlEngine();
      dnnl::memory src(e->pd.src_desc(), eng, const_cast<void*>(x.raw_data()));
      dnnl::memory dst(e->pd.dst_desc(), eng, y->raw_data());
      Tensor scratch_bytes;  // oneDNN's scratchpad, planned in the session's arena
      dnnl::memory scratch;
      if (!DnnlScratch(ctx, e->pd.scratchpad_desc(), &scratch_bytes, &scratch)) return false;
      dnnl::stream s(eng);
      e->prim.execute(s,
                      {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratch}});
      s.wait();
    } catch (const dnnl::error&) {
      return false;
    }
    return true;
  }

  DnnlPool MakeDnnl(const Tensor& x, const Geometry& g) const {
    DnnlPool e;
    dnnl::memory::dims pad_r(g.nd), dil(g.nd);
    for (int d = 0; d < g.nd; ++d) {
      // Padding that makes oneDNN's floor formula produce our output size.
      const int64_t need =
          (g.out[d] - 1) * g.stride[d] + g.EffectiveKernel(d) - g.in[d] - g.pad_begin[d];
      pad_r[d] = std::max(g.pad_end[d], need);
      if ((g.in[d] + g.pad_begin[d] + pad_r[d] - g.EffectiveKernel(d)) / g.stride[d] + 1 !=
          g.out[d]) {
        return e;
      }
      // Averages counting padding divide by taps inside the explicit padding only.
      if (params_.kind == PoolKind::kAvg && params_.count_include_pad && pad_r[d] != g.pad_end[d]) {
        return e;
      }
      dil[d] = g.dilation[d] - 1;
    }
    dnnl::algorithm alg = params_.kind == PoolKind::kMax ? dnnl::algorithm::pooling_max
                          : params_.count_include_pad
                              ? dnnl::algorithm::pooling_avg_include_padding
                              : dnnl::algorithm::pooling_avg_exclude_padding;
    std::vector<int64_t> out_dims = {x.dim(0), x.dim(1)};
    out_dims.insert(out_dims.end(), g.out.begin(), g.out.end());
    try {
      using dt = dnnl::memory::data_type;
      dnnl::memory::desc src_md(ToDnnlDims(x.dims()), dt::f32, PlainTag(x.rank()));
      dnnl::memory::desc dst_md(ToDnnlDims(out_dims), dt::f32, PlainTag(x.rank()));
      dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src_md, dst_md,
                                          ToDnnlDims(g.stride), ToDnnlDims(g.kernel), dil,
                                          ToDnnlDims(g.pad_begin), pad_r);
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      e.pd = dnnl::pooling_v2_forward::primitive_desc(desc, attr, DnnlEngine());
      e.prim = dnnl::pooling_v2_forward(e.pd);
      e.ok = true;
    } catch (const dnnl::error&) {
      e.ok = false;
    }
    return e;
  }

  bool global_;
  PoolAttrs params_;
  Status init_;
  ShapeCache<DnnlPool> cache_;
};

KernelFactory PoolFactory(PoolKind kind, bool global) {
  return [kind, global](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    return CreateChecked<PoolKernel>(info, kind, global);
  };
}

// ---------------------------------------------------------------------------------------------
// MaxUnpool.

class MaxUnpoolKernel : public Kernel {
 public:
  explicit MaxUnpoolKernel(const KernelInfo& info) {
    kernel_ = info.GetInts("kernel_shape");
    const size_t k = kernel_.size();
    strides_ = info.GetInts("strides", std::vector<int64_t>(k, 1));
    pads_ = info.GetInts("pads", std::vector<int64_t>(2 * k, 0));
    if (k == 0) {
      init_ = info.InvalidModel("kernel_shape is required");
    } else if (strides_.size() != k || pads_.size() != 2 * k) {
      init_ = info.InvalidModel("strides/pads do not match kernel_shape");
    } else {
      for (size_t i = 0; i < k; ++i) {
        if (kernel_[i] <= 0 || strides_[i] <= 0 || pads_[i] < 0 || pads_[k + i] < 0) {
          init_ = info.InvalidModel("kernel_shape and strides must be positive, pads >= 0");
          return;
        }
      }
      init_ = info.status();
    }
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* ind = ctx.Input(1);
    if (x == nullptr || ind == nullptr) return ctx.InvalidArgument("missing input X or I");
    const int k = static_cast<int>(kernel_.size());
    if (x->rank() != k + 2) {
      return ctx.InvalidArgument("X must have rank " + std::to_string(k + 2) + ", got " +
                                 DimsToString(x->dims()));
    }
    if (ind->dims() != x->dims()) {
      return ctx.InvalidArgument("I must have the shape of X");
    }
    std::vector<int64_t> inferred = {x->dim(0), x->dim(1)};
    for (int i = 0; i < k; ++i) {
      inferred.push_back((x->dim(i + 2) - 1) * strides_[i] - pads_[i] - pads_[k + i] + kernel_[i]);
      if (inferred.back() < 0) return ctx.InvalidArgument("inferred output size is negative");
    }
    std::vector<int64_t> out_dims = inferred;
    if (const Tensor* os = ctx.Input(2)) {
      if (!ReadInt64s(*os, &out_dims)) return ctx.InvalidArgument("output_shape must be int64");
      if (static_cast<int>(out_dims.size()) != k + 2) {
        return ctx.InvalidArgument("output_shape must have " + std::to_string(k + 2) + " values");
      }
      for (int i = 0; i < k + 2; ++i) {
        if (out_dims[i] < inferred[i]) {
          return ctx.InvalidArgument("output_shape " + DimsToString(out_dims) +
                                     " is smaller than the inferred shape " +
                                     DimsToString(inferred));
        }
      }
    }
    std::vector<int64_t> idx;
    if (!ReadInt64s(*ind, &idx)) return ctx.InvalidArgument("I must be int64");
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.OutputZeroed(0, x->dtype(), out_dims));
    const int64_t inferred_total = ProductOfDims(inferred, 0, k + 2);
    const std::vector<int64_t> out_strides = ContiguousStrides(out_dims);
    // Indices address the inferred shape; place them into the (possibly larger) output.
    std::vector<int64_t> dst(idx.size());
    for (size_t e = 0; e < idx.size(); ++e) {
      int64_t v = idx[e];
      if (v < 0 || v >= inferred_total) {
        return ctx.InvalidArgument("index " + std::to_string(v) + " is out of range");
      }
      int64_t off = 0;
      for (int i = k + 1; i >= 0; --i) {
        off += (v % inferred[i]) * out_strides[i];
        v /= inferred[i];
      }
      dst[e] = off;
    }
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xs = x->data<T>();
      T* ys = y->data<T>();
      for (size_t e = 0; e < dst.size(); ++e) ys[dst[e]] = xs[e];
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + x->TypeString());
    return Status::Ok();
  }

 private:
  std::vector<int64_t> kernel_, strides_, pads_;
  Status init_;
};

// ---------------------------------------------------------------------------------------------
// kiln.NhwcMaxPool / kiln.NhwcAveragePool: MaxPool / AveragePool (2-D, float32, no Indices) on
// channels-last tensors, X [N, H, W, C] -> Y [N, OH, OW, C], with the standard ops' attributes
// (the layout-propagation pass makes them). Each output pixel reduces its window's pixels along C,
// contiguous, so the inner loop is a vector over channels. Split over (image, output row).

void NhwcPoolRows(const Geometry3& g, const PoolAttrs& pp, int64_t channels, const float* x,
                  float* y, int64_t begin, int64_t end) {
  const int64_t H = g.in[1], W = g.in[2], OH = g.out[1], OW = g.out[2];
  const DimTaps& th = g.taps[1];
  const DimTaps& tw = g.taps[2];
  const bool is_max = pp.kind == PoolKind::kMax;
  for (int64_t unit = begin; unit < end; ++unit) {
    const int64_t n = unit / OH, oh = unit % OH;
    const float* xn = x + n * H * W * channels;
    const int64_t h_lo = th.lo[oh], h_hi = th.hi[oh];
    for (int64_t ow = 0; ow < OW; ++ow) {
      float* yp = y + ((unit * OW) + ow) * channels;
      const int64_t w_lo = tw.lo[ow], w_hi = tw.hi[ow];
      const int64_t taps = (h_hi - h_lo) * (w_hi - w_lo);
      if (taps <= 0) {
        const int64_t count =
            pp.count_include_pad ? th.padded_count[oh] * tw.padded_count[ow] : int64_t{0};
        for (int64_t c = 0; c < channels; ++c) {
          yp[c] = is_max ? std::numeric_limits<float>::lowest() : 0.0f / static_cast<float>(count);
        }
        continue;
      }
      bool first = true;
      for (int64_t kh = h_lo; kh < h_hi; ++kh) {
        const int64_t ih = th.start[oh] + kh * g.d[1];
        for (int64_t kw = w_lo; kw < w_hi; ++kw) {
          const int64_t iw = tw.start[ow] + kw * g.d[2];
          const float* xp = xn + (ih * W + iw) * channels;
          if (first) {
            std::memcpy(yp, xp, static_cast<size_t>(channels) * sizeof(float));
            first = false;
          } else if (is_max) {
            for (int64_t c = 0; c < channels; ++c) yp[c] = xp[c] > yp[c] ? xp[c] : yp[c];
          } else {
            for (int64_t c = 0; c < channels; ++c) yp[c] += xp[c];
          }
        }
      }
      if (!is_max) {
        const int64_t count =
            pp.count_include_pad ? th.padded_count[oh] * tw.padded_count[ow] : taps;
        const float scale = 1.0f / static_cast<float>(count);
        for (int64_t c = 0; c < channels; ++c) yp[c] *= scale;
      }
    }
  }
}

class NhwcPoolKernel : public Kernel {
 public:
  NhwcPoolKernel(const KernelInfo& info, PoolKind kind) {
    init_ = ParsePoolAttrs(info, kind, false, &params_);
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr || x->rank() != 4 || x->dtype() != DataType::kFloat) {
      return ctx.InvalidArgument("X must be a float tensor [N, H, W, C]");
    }
    const int64_t n = x->dim(0), h = x->dim(1), w = x->dim(2), c = x->dim(3);
    Geometry g;
    std::vector<int64_t> logical_out;
    KILN_RETURN_IF_ERROR(ResolvePoolShape(ctx, params_, {n, c, h, w}, &g, &logical_out));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kFloat,
                                                 {n, logical_out[2], logical_out[3], c}));
    if (y->numel() == 0) return Status::Ok();
    const Geometry3 g3 = Promote(g);
    const int64_t units = n * g3.out[1];
    const int64_t unit_cost = g3.out[2] * g3.k[1] * g3.k[2] * c;
    const float* xp = x->data<float>();
    float* yp = y->data<float>();
    ParallelFor(units, std::max<int64_t>(1, 32768 / std::max<int64_t>(unit_cost, 1)),
                [&](int64_t begin, int64_t end) {
                  NhwcPoolRows(g3, params_, c, xp, yp, begin, end);
                });
    return Status::Ok();
  }

 private:
  PoolAttrs params_;
  Status init_;
};

}  // namespace

void RegisterPoolKernels(KernelRegistry& r) {
  r.Register(KernelDef("NhwcMaxPool", kKilnDomain).Opsets(1).Types("T", {0}, {DataType::kFloat}),
             [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
               return CreateChecked<NhwcPoolKernel>(info, PoolKind::kMax);
             });
  r.Register(
      KernelDef("NhwcAveragePool", kKilnDomain).Opsets(1).Types("T", {0}, {DataType::kFloat}),
      [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
        return CreateChecked<NhwcPoolKernel>(info, PoolKind::kAvg);
      });
  std::vector<DataType> max_types = kFloatTypes;
  max_types.push_back(DataType::kInt8);
  max_types.push_back(DataType::kUint8);
  r.Register(KernelDef("MaxPool").Opsets(1).Types("T", {0}, max_types),
             PoolFactory(PoolKind::kMax, false));
  r.Register(KernelDef("AveragePool").Opsets(1).Types("T", {0}, kFloatTypes),
             PoolFactory(PoolKind::kAvg, false));
  r.Register(KernelDef("LpPool").Opsets(1).Types("T", {0}, kFloatTypes),
             PoolFactory(PoolKind::kLp, false));
  r.Register(KernelDef("GlobalMaxPool").Opsets(1).Types("T", {0}, kFloatTypes),
             PoolFactory(PoolKind::kMax, true));
  r.Register(KernelDef("GlobalAveragePool").Opsets(1).Types("T", {0}, kFloatTypes),
             PoolFactory(PoolKind::kAvg, true));
  r.Register(KernelDef("GlobalLpPool").Opsets(1).Types("T", {0}, kFloatTypes),
             PoolFactory(PoolKind::kLp, true));
  r.Register(KernelDef("MaxUnpool")
                 .Opsets(9, 10)
                 .Types("T1", {0}, kNumericTypes)
                 .Types("T2", {1}, {DataType::kInt64}),
             MakeCheckedKernel<MaxUnpoolKernel>());
  r.Register(KernelDef("MaxUnpool")
                 .Opsets(11)
                 .Types("T1", {0}, kNumericTypes)
                 .Types("T2", {1, 2}, {DataType::kInt64})
                 .HostInputs({2}),
             MakeCheckedKernel<MaxUnpoolKernel>());
}

}  // namespace kiln::cpu
