// GridSample, opsets 16-19 (bilinear/nearest/bicubic, 2-D) and 20+ (linear/nearest/cubic, N-D).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/resize_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// ---------------------------------------------------------------------------------------------
// GridSample.

enum class GridMode { kLinear, kNearest, kCubic };
enum class GridPadding { kZeros, kBorder, kReflection };

// Reflects x into [lo, hi] by bouncing off the nearer border.
float Reflect(float x, float lo, float hi) {
  const float range = hi - lo;
  if (!(range > 0)) return lo;
  if (x < lo) {
    const float dx = lo - x;
    const int64_t n = static_cast<int64_t>(dx / range);
    const float r = dx - static_cast<float>(n) * range;
    return n % 2 == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const float dx = x - hi;
    const int64_t n = static_cast<int64_t>(dx / range);
    const float r = dx - static_cast<float>(n) * range;
    return n % 2 == 0 ? hi - r : lo + r;
  }
  return x;
}

void CubicCoeffs(double t, double* c) {
  const double a = -0.75;
  c[0] = CubicWeight(t + 1, a);
  c[1] = CubicWeight(t, a);
  c[2] = CubicWeight(1 - t, a);
  c[3] = CubicWeight(2 - t, a);
}

class GridSampleKernel : public Kernel {
 public:
  explicit GridSampleKernel(const KernelInfo& info) : opset_(info.opset()) {
    const std::string mode = info.GetString("mode", opset_ >= 20 ? "linear" : "bilinear");
    const bool v20 = opset_ >= 20;
    if (mode == (v20 ? "linear" : "bilinear")) {
      mode_ = GridMode::kLinear;
    } else if (mode == "nearest") {
      mode_ = GridMode::kNearest;
    } else if (mode == (v20 ? "cubic" : "bicubic")) {
      mode_ = GridMode::kCubic;
    } else {
      init_ = info.InvalidModel("unsupported mode '" + mode + "'");
      return;
    }
    const std::string pad = info.GetString("padding_mode", "zeros");
    if (pad == "zeros") {
      padding_ = GridPadding::kZeros;
    } else if (pad == "border") {
      padding_ = GridPadding::kBorder;
    } else if (pad == "reflection") {
      padding_ = GridPadding::kReflection;
    } else {
      init_ = info.InvalidModel("unsupported padding_mode '" + pad + "'");
      return;
    }
    align_corners_ = info.GetInt("align_corners", 0) != 0;
    init_ = info.status();
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* grid = ctx.Input(1);
    if (x == nullptr || grid == nullptr) return ctx.InvalidArgument("missing input X or grid");
    const int rank = x->rank();
    if (rank < 3 || (opset_ < 20 && rank != 4)) {
      return ctx.InvalidArgument("X must have rank 4" +
                                 std::string(opset_ >= 20 ? " or more" : "") + ", got " +
                                 DimsToString(x->dims()));
    }
    const int sr = rank - 2;
    if (grid->rank() != rank || grid->dim(0) != x->dim(0) || grid->dim(rank - 1) != sr) {
      return ctx.InvalidArgument("grid must have shape [N, D1.., " + std::to_string(sr) +
                                 "] matching X " + DimsToString(x->dims()) + ", got " +
                                 DimsToString(grid->dims()));
    }
    std::vector<int64_t> out_dims = {x->dim(0), x->dim(1)};
    for (int i = 1; i + 1 < rank; ++i) out_dims.push_back(grid->dim(i));
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_dims));
    if (y->numel() == 0) return Status::Ok();
    const std::vector<int64_t> sdims(x->dims().begin() + 2, x->dims().end());
    for (int64_t d : sdims) {
      if (d == 0) return ctx.InvalidArgument("X has an empty spatial dimension");
    }
    std::vector<float> g;
    {
      std::vector<double> gd;
      if (!ReadDoubles(*grid, &gd)) return ctx.InvalidArgument("grid must be a float tensor");
      g.assign(gd.begin(), gd.end());
    }
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      Sample<T>(*x, g, sdims, y);
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + x->TypeString());
    return Status::Ok();
  }

 private:
  // Maps an integer tap index to a source index along a dim of size d, or -1 for a zero.
  int64_t MapIndex(int64_t i, int64_t d, float lo, float hi) const {
    switch (padding_) {
      case GridPadding::kZeros:
        return (i >= 0 && i < d) ? i : -1;
      case GridPadding::kBorder:
        return std::clamp<int64_t>(i, 0, d - 1);
      default: {
        const int64_t r = static_cast<int64_t>(Reflect(static_cast<float>(i), lo, hi));
        return std::clamp<int64_t>(r, 0, d - 1);
      }
    }
  }

  template <typename T>
  void Sample(const Tensor& x, const std::vector<float>& g, const std::vector<int64_t>& sdims,
              Tensor* y) const {
    const int sr = static_cast<int>(sdims.size());
    const int64_t n_batch = x.dim(0), channels = x.dim(1);
    const int64_t in_spatial = ProductOfDims(sdims, 0, sr);
    const int64_t out_spatial = y->numel() / std::max<int64_t>(n_batch * channels, 1);
    const std::vector<int64_t> sstrides = ContiguousStrides(sdims);
    const int taps = mode_ == GridMode::kNearest ? 1 : (mode_ == GridMode::kLinear ? 2 : 4);
    int64_t combos = 1;
    for (int i = 0; i < sr; ++i) combos *= taps;
    std::vector<int64_t> tap_idx(sr * taps);
    std::vector<double> tap_w(sr * taps);
    std::vector<int64_t> offs(combos);
    std::vector<double> ws(combos);
    const T* xs = x.data<T>();
    T* ys = y->data<T>();
    for (int64_t n = 0; n < n_batch; ++n) {
      for (int64_t o = 0; o < out_spatial; ++o) {
        const float* gp = &g[(n * out_spatial + o) * sr];
        for (int i = 0; i < sr; ++i) {
          const int64_t d = sdims[i];
          const float v_norm = gp[sr - 1 - i];  // the grid lists the innermost axis first
          const float len = static_cast<float>(d);
          float v =
              align_corners_ ? (v_norm + 1) / 2.0f * (len - 1) : ((v_norm + 1) * len - 1) / 2.0f;
          const float lo = align_corners_ ? 0.0f : -0.5f;
          const float hi = align_corners_ ? len - 1 : len - 0.5f;
          if (mode_ == GridMode::kNearest) v = std::nearbyint(v);
          if (v < lo || v > hi) {
            if (padding_ == GridPadding::kBorder) {
              v = std::clamp(v, 0.0f, len - 1);
            } else if (padding_ == GridPadding::kReflection) {
              v = Reflect(v, lo, hi);
            }
          }
          if (mode_ == GridMode::kNearest) {
            tap_idx[i] = std::isfinite(v) ? MapIndex(static_cast<int64_t>(v), d, lo, hi) : -1;
            tap_w[i] = 1;
            continue;
          }
          if (!std::isfinite(v)) {
            for (int k = 0; k < taps; ++k) {
              tap_idx[i * taps + k] = -1;
              tap_w[i * taps + k] = 0;
            }
            continue;
          }
          const double f = std::floor(static_cast<double>(v));
          const double t = static_cast<double>(v) - f;
          const int64_t x0 = static_cast<int64_t>(f);
          if (mode_ == GridMode::kLinear) {
            tap_w[i * 2] = 1 - t;
            tap_w[i * 2 + 1] = t;
            tap_idx[i * 2] = MapIndex(x0, d, lo, hi);
            tap_idx[i * 2 + 1] = MapIndex(x0 + 1, d, lo, hi);
          } else {
            CubicCoeffs(t, &tap_w[i * 4]);
            for (int k = 0; k < 4; ++k) tap_idx[i * 4 + k] = MapIndex(x0 - 1 + k, d, lo, hi);
          }
        }
        // Expand the per-axis taps into (offset, weight) pairs; offset -1 reads a zero.
        for (int64_t c = 0; c < combos; ++c) {
          int64_t rem = c, off = 0;
          double w = 1;
          for (int i = sr - 1; i >= 0; --i) {
            const int k = static_cast<int>(rem % taps);
            rem /= taps;
            const int64_t id = tap_idx[i * taps + k];
            w *= tap_w[i * taps + k];
            if (id < 0 || off < 0) {
              off = -1;
            } else {
              off += id * sstrides[i];
            }
          }
          offs[c] = off;
          ws[c] = w;
        }
        for (int64_t ch = 0; ch < channels; ++ch) {
          const T* xc = xs + (n * channels + ch) * in_spatial;
          double acc = 0;
          for (int64_t c = 0; c < combos; ++c) {
            if (offs[c] >= 0) acc += ws[c] * ToDouble(xc[offs[c]]);
          }
          ys[(n * channels + ch) * out_spatial + o] = SaturateFromDouble<T>(acc);
        }
      }
    }
  }

  int opset_;
  GridMode mode_ = GridMode::kLinear;
  GridPadding padding_ = GridPadding::kZeros;
  bool align_corners_ = false;
  Status init_;
};

}  // namespace

void RegisterGridSampleKernels(KernelRegistry& r) {
  r.Register(KernelDef("GridSample")
                 .Opsets(16, 19)
                 .Types("T1", {0}, kNumericTypes)
                 .Types("T2", {1}, kFloatTypes),
             MakeCheckedKernel<GridSampleKernel>());
  r.Register(KernelDef("GridSample")
                 .Opsets(20)
                 .Types("T1", {0}, kNumericTypes)
                 .Types("T2", {1}, kFloatTypes),
             MakeCheckedKernel<GridSampleKernel>());
}

}  // namespace kiln::cpu
