// Image-family CPU kernels: spatial resampling.
//   Resize      opsets 10 (scales only, asymmetric), 11-12, 13-17, 18, 19+ (modes nearest, linear,
//               cubic; every coordinate_transformation_mode; roi, scales or sizes; antialias,
//               axes and keep_aspect_ratio_policy from 18)
//   Upsample    opset 1 (height_scale/width_scale, NCHW), 7-8 (scales attribute), 9 (scales input)
//   GridSample  opsets 16-19 (bilinear/nearest/bicubic, 2-D), 20+ (linear/nearest/cubic, N-D)
//   RoiAlign    opsets 10-15, 16+ (coordinate_transformation_mode)
//   MaxRoiPool  opsets 1-21, 22+ (Fast R-CNN RoI max pooling)
//   MaxUnpool   opsets 9-10, 11+
//   Col2Im      opset 18+
//
// Resize works separably: for each resized axis it precomputes, per output index, a window of
// source indices and weights (or an extrapolation flag), then applies the axes one at a time on a
// double-precision buffer. Nearest mode is a pure gather, exact for every element type.
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
namespace {

// ---------------------------------------------------------------------------------------------
// Shared helpers.

// Converts a computed double to T: floats directly, integers rounded half to even and saturated.
template <typename T>
T SaturateFromDouble(double v) {
  if constexpr (std::is_integral_v<T>) {
    if (std::isnan(v)) return T(0);
    v = std::nearbyint(v);
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    if (v <= lo) return std::numeric_limits<T>::lowest();
    if (v >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else {
    return FromDouble<T>(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Resize / Upsample.

// One resized axis: per output index, a window start and `n` weights (nearest: n == 1, weight 1).
struct AxisPlan {
  int axis = 0;
  int64_t in = 0;
  int64_t out = 0;
  int n = 1;
  std::vector<int64_t> idx;      // out * n source indices, already clamped
  std::vector<double> weights;   // out * n
  std::vector<uint8_t> extrap;   // out flags (tf_crop_and_resize)
};

double CubicWeight(double x, double a) {
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}

// Source coordinate of output index j along one axis.
double SourceCoord(const ResizeAttrs& p, double j, double scale, int64_t in, int64_t out_int,
                   double roi_start, double roi_end) {
  const double out_f = scale * static_cast<double>(in);
  switch (p.coord) {
    case CoordMode::kAlignCorners:
      return out_f == 1 ? 0.0 : j * static_cast<double>(in - 1) / (out_f - 1);
    case CoordMode::kAsymmetric:
      return j / scale;
    case CoordMode::kTfHalfPixelForNn:
      return (j + 0.5) / scale;
    case CoordMode::kTfCropAndResize: {
      double x = out_f == 1 ? (roi_end - roi_start) * static_cast<double>(in - 1) / 2
                            : j * (roi_end - roi_start) * static_cast<double>(in - 1) / (out_f - 1);
      return x + roi_start * static_cast<double>(in - 1);
    }
    case CoordMode::kPytorchHalfPixel:
      return out_f == 1 ? -0.5 : (j + 0.5) / scale - 0.5;
    case CoordMode::kHalfPixel:
      return (j + 0.5) / scale - 0.5;
    case CoordMode::kHalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out_int) / out_f;
      const double center = static_cast<double>(in) / 2;
      return center * (1 - adjustment) + (j + 0.5) / scale - 0.5;
    }
  }
  return 0.0;
}

AxisPlan PlanAxis(const ResizeAttrs& p, int axis, int64_t in, int64_t out, double scale,
                  double roi_start, double roi_end) {
  AxisPlan plan;
  plan.axis = axis;
  plan.in = in;
  plan.out = out;
  plan.extrap.assign(out, 0);
  const double s = std::min(scale, 1.0);
  int n = 1;
  int i_start = 0;  // first tap relative to floor(x) (antialias windows)
  if (p.mode == ResizeMode::kLinear) {
    i_start = p.antialias ? static_cast<int>(std::floor(-1 / s) + 1) : 0;
    n = 2 - 2 * i_start;
  } else if (p.mode == ResizeMode::kCubic) {
    i_start = p.antialias ? static_cast<int>(std::floor(-2 / s) + 1) : -1;
    n = 2 - 2 * i_start;
  }
  plan.n = n;
  plan.idx.assign(out * n, 0);
  plan.weights.assign(out * n, 0.0);
  for (int64_t j = 0; j < out; ++j) {
    const double x = SourceCoord(p, static_cast<double>(j), scale, in, out, roi_start, roi_end);
    if (p.coord == CoordMode::kTfCropAndResize && (x < 0 || x > static_cast<double>(in - 1))) {
      plan.extrap[j] = 1;
      continue;
    }
    double fl = std::floor(x);
    double ratio = x - fl;
    if (ratio == 0) {  // prefer the pixel on the left: ratio in (0, 1]
      fl -= 1;
      ratio = 1;
    }
    const int64_t base = static_cast<int64_t>(fl);
    int64_t* idx = &plan.idx[j * n];
    double* w = &plan.weights[j * n];
    if (p.mode == ResizeMode::kNearest) {
      bool up;  // take base + 1 rather than base
      switch (p.nearest) {
        case NearestMode::kRoundPreferFloor: up = ratio > 0.5; break;
        case NearestMode::kRoundPreferCeil: up = ratio >= 0.5; break;
        case NearestMode::kFloor: up = ratio == 1; break;
        default: up = true; break;
      }
      idx[0] = std::clamp<int64_t>(up ? base + 1 : base, 0, in - 1);
      w[0] = 1;
      continue;
    }
    double sum = 0;
    for (int k = 0; k < n; ++k) {
      const int64_t src = base + i_start + k;
      const double t = static_cast<double>(i_start + k) - ratio;
      double wk;
      if (p.mode == ResizeMode::kLinear) {
        wk = std::clamp(1 - std::fabs(p.antialias ? t * s : t), 0.0, 1.0);
      } else {
        wk = CubicWeight(p.antialias ? t * s : t, p.cubic_a);
      }
      if (p.exclude_outside && (src < 0 || src >= in)) wk = 0;
      w[k] = wk;
      sum += wk;
      idx[k] = std::clamp<int64_t>(src, 0, in - 1);
    }
    // Antialias and exclude_outside windows are normalized; plain ones already sum to 1.
    if ((p.antialias || p.exclude_outside) && sum != 0) {
      for (int k = 0; k < n; ++k) w[k] /= sum;
    }
  }
  return plan;
}

// Applies one axis plan: src has dims `dims`, dst gets dims with dims[axis] = plan.out.
void ApplyAxis(const AxisPlan& plan, const std::vector<int64_t>& dims, const double* src,
               double* dst, double extrapolation) {
  const int64_t outer = ProductOfDims(dims, 0, plan.axis);
  const int64_t inner = ProductOfDims(dims, plan.axis + 1, static_cast<int>(dims.size()));
  const int n = plan.n;
  for (int64_t o = 0; o < outer; ++o) {
    const double* s = src + o * plan.in * inner;
    double* d = dst + o * plan.out * inner;
    for (int64_t j = 0; j < plan.out; ++j) {
      double* dj = d + j * inner;
      if (plan.extrap[j]) {
        std::fill(dj, dj + inner, extrapolation);
        continue;
      }
      std::fill(dj, dj + inner, 0.0);
      for (int k = 0; k < n; ++k) {
        const double w = plan.weights[j * n + k];
        if (w == 0) continue;
        const double* sk = s + plan.idx[j * n + k] * inner;
        for (int64_t i = 0; i < inner; ++i) dj[i] += w * sk[i];
      }
    }
  }
}

// The resampling core shared by Resize and Upsample: `scales` and `out_dims` are per input axis;
// roi (2 * rank values) is used by tf_crop_and_resize.
Status ResampleInto(KernelContext& ctx, const ResizeAttrs& p, const Tensor& x,
                    const std::vector<double>& scales, const std::vector<int64_t>& out_dims,
                    const std::vector<double>& roi) {
  const int rank = x.rank();
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), out_dims));
  if (y->numel() == 0) return Status::Ok();
  KILN_ASSIGN_OR_RETURN(std::vector<ResizedAxis> axes,
                        ResizedAxes(ctx, p, x, scales, out_dims, roi));
  std::vector<AxisPlan> plans;
  for (const ResizedAxis& a : axes) {
    plans.push_back(PlanAxis(p, a.axis, a.in, a.out, a.scale, a.roi_start, a.roi_end));
  }
  if (p.mode == ResizeMode::kNearest) {
    // A pure gather: per output element, the source offset (or -1 for extrapolation).
    std::vector<std::vector<int64_t>> src_of(rank);
    const std::vector<int64_t> in_strides = ContiguousStrides(x.dims());
    for (int a = 0; a < rank; ++a) {
      src_of[a].resize(out_dims[a]);
      for (int64_t j = 0; j < out_dims[a]; ++j) src_of[a][j] = j * in_strides[a];
    }
    for (const AxisPlan& plan : plans) {
      for (int64_t j = 0; j < plan.out; ++j) {
        src_of[plan.axis][j] = plan.extrap[j] ? -1 : plan.idx[j] * in_strides[plan.axis];
      }
    }
    bool ok = Dispatch<KILN_NUMERIC_TYPES, bool>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xs = x.data<T>();
      T* ys = y->data<T>();
      T extrap;
      if constexpr (std::is_same_v<T, bool>) {
        extrap = p.extrapolation != 0;
      } else {
        extrap = SaturateFromDouble<T>(p.extrapolation);
      }
      const int64_t last = out_dims[rank - 1];
      const std::vector<int64_t>& last_src = src_of[rank - 1];
      std::vector<int64_t> idx(rank, 0);
      for (int64_t o = 0; o < y->numel(); o += last) {
        int64_t base = 0;
        bool ext = false;
        for (int a = 0; a + 1 < rank; ++a) {
          const int64_t s = src_of[a][idx[a]];
          if (s < 0) ext = true;
          base += s;
        }
        for (int64_t j = 0; j < last; ++j) {
          const int64_t s = last_src[j];
          ys[o + j] = (ext || s < 0) ? extrap : xs[base + s];
        }
        for (int a = rank - 2; a >= 0; --a) {
          if (++idx[a] < out_dims[a]) break;
          idx[a] = 0;
        }
      }
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + x.TypeString());
    return Status::Ok();
  }
  // Linear / cubic: separable passes in double precision.
  std::vector<double> cur(x.numel());
  bool ok = Dispatch<KILN_NUMERIC_TYPES>(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xs = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) cur[i] = ToDouble(xs[i]);
  });
  if (!ok) return ctx.Unsupported("unsupported element type " + x.TypeString());
  std::vector<int64_t> dims = x.dims();
  std::vector<double> next;
  for (const AxisPlan& plan : plans) {
    std::vector<int64_t> nd = dims;
    nd[plan.axis] = plan.out;
    next.assign(ProductOfDims(nd, 0, rank), 0.0);
    ApplyAxis(plan, dims, cur.data(), next.data(), p.extrapolation);
    cur.swap(next);
    dims = nd;
  }
  Dispatch<KILN_NUMERIC_TYPES>(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* ys = y->data<T>();
    for (int64_t i = 0; i < y->numel(); ++i) ys[i] = SaturateFromDouble<T>(cur[i]);
  });
  return Status::Ok();
}

class ResizeKernel : public Kernel {
 public:
  explicit ResizeKernel(const KernelInfo& info) : init_(ReadResizeAttrs(info, &p_)) {}
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("missing input X");
    if (x->rank() == 0) return ctx.InvalidArgument("X must have rank >= 1");
    KILN_ASSIGN_OR_RETURN(ResizeShape shape, PlanResizeShape(ctx, p_, *x));
    return ResampleInto(ctx, p_, *x, shape.scales, shape.out_dims, shape.roi);
  }

 private:
  ResizeAttrs p_;
  Status init_;
};

class UpsampleKernel : public Kernel {
 public:
  explicit UpsampleKernel(const KernelInfo& info) : opset_(info.opset()) {
    const std::string mode = info.GetString("mode", "nearest");
    if (mode == "nearest") {
      p_.mode = ResizeMode::kNearest;
    } else if (mode == "linear" || mode == "bilinear") {
      p_.mode = ResizeMode::kLinear;
    } else {
      init_ = info.InvalidModel("unsupported mode '" + mode + "'");
      return;
    }
    p_.coord = CoordMode::kAsymmetric;
    p_.nearest = NearestMode::kFloor;
    if (opset_ < 7) {
      // Upsample-1 (experimental): 4-D NCHW with height_scale and width_scale attributes.
      for (const char* name : {"height_scale", "width_scale"}) {
        if (!info.HasAttr(name)) {
          init_ = info.InvalidModel(std::string("attribute '") + name + "' is required");
          return;
        }
      }
      attr_scales_ = {1.0, 1.0, info.GetFloat("height_scale", 1.0f),
                      info.GetFloat("width_scale", 1.0f)};
    } else if (opset_ < 9) {
      if (!info.HasAttr("scales")) {
        init_ = info.InvalidModel("attribute 'scales' is required");
        return;
      }
      for (float f : info.GetFloats("scales")) attr_scales_.push_back(f);
    }
    init_ = info.status();
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) return ctx.InvalidArgument("missing input X");
    const int rank = x->rank();
    std::vector<double> s = attr_scales_;
    if (opset_ >= 9) {
      const Tensor* st = ctx.Input(1);
      if (st == nullptr) return ctx.InvalidArgument("missing input scales");
      if (!ReadDoubles(*st, &s)) return ctx.InvalidArgument("scales must be float");
    }
    if (opset_ < 7 && rank != 4) {
      return ctx.InvalidArgument("X must be 4-D [N, C, H, W] for Upsample-1, got " +
                                 x->TypeString());
    }
    if (rank == 0 || static_cast<int>(s.size()) != rank) {
      return ctx.InvalidArgument("scales has " + std::to_string(s.size()) +
                                 " values, expected the rank of X (" + std::to_string(rank) + ")");
    }
    std::vector<int64_t> out_dims(rank);
    for (int a = 0; a < rank; ++a) {
      if (!(s[a] >= 1) || !std::isfinite(s[a])) {
        return ctx.InvalidArgument("scales must be >= 1 and finite");
      }
      out_dims[a] = static_cast<int64_t>(std::floor(s[a] * static_cast<double>(x->dim(a))));
    }
    return ResampleInto(ctx, p_, *x, s, out_dims, {});
  }

 private:
  int opset_;
  ResizeAttrs p_;
  std::vector<double> attr_scales_;
  Status init_;
};

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
      return ctx.InvalidArgument("X must have rank 4" + std::string(opset_ >= 20 ? " or more" : "") +
                                 ", got " + DimsToString(x->dims()));
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
      case GridPadding::kZeros: return (i >= 0 && i < d) ? i : -1;
      case GridPadding::kBorder: return std::clamp<int64_t>(i, 0, d - 1);
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
          float v = align_corners_ ? (v_norm + 1) / 2.0f * (len - 1)
                                   : ((v_norm + 1) * len - 1) / 2.0f;
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

// ---------------------------------------------------------------------------------------------
// RoiAlign.

// MaxRoiPool (Fast R-CNN ROI pooling, as Caffe and ONNX Runtime compute it): each RoI
// [batch_id, x1, y1, x2, y2] is scaled by spatial_scale and rounded to whole pixels; its
// (y2 - y1 + 1) x (x2 - x1 + 1) window is cut into pooled_shape bins of fractional size, bin
// (ph, pw) covering rows [floor(ph * bin_h), ceil((ph + 1) * bin_h)) from the RoI's first row,
// clipped to the image; each output is its bin's maximum, or 0 for a bin that is empty.
class MaxRoiPoolKernel : public Kernel {
 public:
  explicit MaxRoiPoolKernel(const KernelInfo& info) {
    if (!info.HasAttr("pooled_shape")) {
      init_ = info.InvalidModel("attribute 'pooled_shape' is required");
      return;
    }
    const std::vector<int64_t> shape = info.GetInts("pooled_shape");
    if (shape.size() != 2 || shape[0] <= 0 || shape[1] <= 0) {
      init_ = info.InvalidModel("pooled_shape must be two positive values (height, width)");
      return;
    }
    pooled_h_ = shape[0];
    pooled_w_ = shape[1];
    spatial_scale_ = info.GetFloat("spatial_scale", 1.0f);
    init_ = info.status();
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* rois = ctx.Input(1);
    if (x == nullptr || rois == nullptr) return ctx.InvalidArgument("missing input");
    if (x->rank() != 4) {
      return ctx.InvalidArgument("X must be 4-D [N, C, H, W], got " + x->TypeString());
    }
    if (rois->rank() != 2 || rois->dim(1) != 5) {
      return ctx.InvalidArgument("rois must have shape [num_rois, 5], got " +
                                 DimsToString(rois->dims()));
    }
    std::vector<double> r;
    if (!ReadDoubles(*rois, &r)) return ctx.InvalidArgument("rois must be a float tensor");
    const int64_t num_rois = rois->dim(0), channels = x->dim(1);
    for (int64_t n = 0; n < num_rois; ++n) {
      const double b = r[n * 5];
      if (!(b >= 0) || b >= static_cast<double>(x->dim(0)) || b != std::floor(b)) {
        return ctx.InvalidArgument("RoI " + std::to_string(n) + " has batch_id " +
                                   std::to_string(b) + ", expected an integer in [0, " +
                                   std::to_string(x->dim(0)) + ")");
      }
      for (int k = 1; k < 5; ++k) {
        if (!std::isfinite(r[n * 5 + k])) {
          return ctx.InvalidArgument("RoI " + std::to_string(n) + " has a non-finite coordinate");
        }
      }
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y,
                          ctx.Output(0, x->dtype(), {num_rois, channels, pooled_h_, pooled_w_}));
    if (y->numel() == 0) return Status::Ok();
    bool ok = Dispatch<KILN_FLOAT_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute<T>(*x, r, y);
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + x->TypeString());
    return Status::Ok();
  }

 private:
  template <typename T>
  void Compute(const Tensor& x, const std::vector<double>& r, Tensor* y) const {
    const int64_t channels = x.dim(1), height = x.dim(2), width = x.dim(3);
    const T* xs = x.data<T>();
    T* ys = y->data<T>();
    const int64_t num_rois = y->dim(0);
    // Per RoI: the clipped row and column ranges of every bin, shared by all channels.
    std::vector<int64_t> h0(pooled_h_), h1(pooled_h_), w0(pooled_w_), w1(pooled_w_);
    auto clip = [](int64_t v, int64_t hi) { return std::min(std::max<int64_t>(v, 0), hi); };
    for (int64_t n = 0; n < num_rois; ++n) {
      const double* roi = &r[n * 5];
      const int64_t b = static_cast<int64_t>(roi[0]);
      const int64_t sw = static_cast<int64_t>(std::round(roi[1] * spatial_scale_));
      const int64_t sh = static_cast<int64_t>(std::round(roi[2] * spatial_scale_));
      const int64_t ew = static_cast<int64_t>(std::round(roi[3] * spatial_scale_));
      const int64_t eh = static_cast<int64_t>(std::round(roi[4] * spatial_scale_));
      const float bin_h =
          static_cast<float>(std::max<int64_t>(eh - sh + 1, 1)) / static_cast<float>(pooled_h_);
      const float bin_w =
          static_cast<float>(std::max<int64_t>(ew - sw + 1, 1)) / static_cast<float>(pooled_w_);
      for (int64_t p = 0; p < pooled_h_; ++p) {
        h0[p] = clip(static_cast<int64_t>(std::floor(p * bin_h)) + sh, height);
        h1[p] = clip(static_cast<int64_t>(std::ceil((p + 1) * bin_h)) + sh, height);
      }
      for (int64_t p = 0; p < pooled_w_; ++p) {
        w0[p] = clip(static_cast<int64_t>(std::floor(p * bin_w)) + sw, width);
        w1[p] = clip(static_cast<int64_t>(std::ceil((p + 1) * bin_w)) + sw, width);
      }
      for (int64_t c = 0; c < channels; ++c) {
        const T* plane = xs + (b * channels + c) * height * width;
        T* out = ys + (n * channels + c) * pooled_h_ * pooled_w_;
        for (int64_t ph = 0; ph < pooled_h_; ++ph) {
          for (int64_t pw = 0; pw < pooled_w_; ++pw) {
            double best = 0;
            if (h1[ph] > h0[ph] && w1[pw] > w0[pw]) {
              best = -std::numeric_limits<double>::infinity();
              for (int64_t i = h0[ph]; i < h1[ph]; ++i) {
                for (int64_t j = w0[pw]; j < w1[pw]; ++j) {
                  best = std::max(best, ToDouble(plane[i * width + j]));
                }
              }
            }
            out[ph * pooled_w_ + pw] = FromDouble<T>(best);
          }
        }
      }
    }
  }

  int64_t pooled_h_ = 1, pooled_w_ = 1;
  double spatial_scale_ = 1.0;
  Status init_;
};

class RoiAlignKernel : public Kernel {
 public:
  explicit RoiAlignKernel(const KernelInfo& info) {
    const std::string mode = info.GetString("mode", "avg");
    if (mode != "avg" && mode != "max") {
      init_ = info.InvalidModel("unsupported mode '" + mode + "'");
      return;
    }
    max_ = mode == "max";
    out_h_ = info.GetInt("output_height", 1);
    out_w_ = info.GetInt("output_width", 1);
    sampling_ratio_ = info.GetInt("sampling_ratio", 0);
    spatial_scale_ = info.GetFloat("spatial_scale", 1.0f);
    if (info.opset() >= 16) {
      const std::string ct = info.GetString("coordinate_transformation_mode", "half_pixel");
      if (ct != "half_pixel" && ct != "output_half_pixel") {
        init_ = info.InvalidModel("unsupported coordinate_transformation_mode '" + ct + "'");
        return;
      }
      half_pixel_ = ct == "half_pixel";
    }
    if (out_h_ <= 0 || out_w_ <= 0) {
      init_ = info.InvalidModel("output_height and output_width must be positive");
      return;
    }
    if (sampling_ratio_ < 0) {
      init_ = info.InvalidModel("sampling_ratio must be non-negative");
      return;
    }
    init_ = info.status();
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* rois = ctx.Input(1);
    const Tensor* bi = ctx.Input(2);
    if (x == nullptr || rois == nullptr || bi == nullptr) {
      return ctx.InvalidArgument("missing input");
    }
    if (x->rank() != 4) return ctx.InvalidArgument("X must have rank 4");
    if (rois->rank() != 2 || rois->dim(1) != 4) {
      return ctx.InvalidArgument("rois must have shape [num_rois, 4], got " +
                                 DimsToString(rois->dims()));
    }
    const int64_t num_rois = rois->dim(0);
    if (bi->rank() != 1 || bi->dim(0) != num_rois) {
      return ctx.InvalidArgument("batch_indices must have shape [num_rois]");
    }
    std::vector<double> r;
    if (!ReadDoubles(*rois, &r)) return ctx.InvalidArgument("rois must be a float tensor");
    std::vector<int64_t> batch;
    if (!ReadInt64s(*bi, &batch)) return ctx.InvalidArgument("batch_indices must be int64");
    const int64_t channels = x->dim(1), height = x->dim(2), width = x->dim(3);
    for (int64_t b : batch) {
      if (b < 0 || b >= x->dim(0)) return ctx.InvalidArgument("batch index out of range");
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y,
                          ctx.Output(0, x->dtype(), {num_rois, channels, out_h_, out_w_}));
    if (y->numel() == 0) return Status::Ok();
    bool ok = Dispatch<KILN_FLOAT_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute<T>(*x, r, batch, height, width, y);
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + x->TypeString());
    return Status::Ok();
  }

 private:
  struct Tap {
    int64_t pos[4];
    double w[4];
  };

  template <typename T>
  void Compute(const Tensor& x, const std::vector<double>& r, const std::vector<int64_t>& batch,
               int64_t height, int64_t width, Tensor* y) const {
    const int64_t channels = x.dim(1);
    const T* xs = x.data<T>();
    T* ys = y->data<T>();
    const double offset = half_pixel_ ? 0.5 : 0.0;
    std::vector<Tap> taps;
    for (size_t n = 0; n < batch.size(); ++n) {
      const double sw = r[n * 4 + 0] * spatial_scale_ - offset;
      const double sh = r[n * 4 + 1] * spatial_scale_ - offset;
      const double ew = r[n * 4 + 2] * spatial_scale_ - offset;
      const double eh = r[n * 4 + 3] * spatial_scale_ - offset;
      double roi_w = ew - sw, roi_h = eh - sh;
      if (!half_pixel_) {
        roi_w = std::max(roi_w, 1.0);
        roi_h = std::max(roi_h, 1.0);
      }
      const double bin_h = roi_h / static_cast<double>(out_h_);
      const double bin_w = roi_w / static_cast<double>(out_w_);
      const int64_t grid_h = sampling_ratio_ > 0
                                 ? sampling_ratio_
                                 : static_cast<int64_t>(std::ceil(roi_h / out_h_));
      const int64_t grid_w = sampling_ratio_ > 0
                                 ? sampling_ratio_
                                 : static_cast<int64_t>(std::ceil(roi_w / out_w_));
      const int64_t gh = std::max<int64_t>(grid_h, 0), gw = std::max<int64_t>(grid_w, 0);
      const double count = static_cast<double>(std::max<int64_t>(gh * gw, 1));
      // Sample positions and bilinear weights, shared by every channel.
      taps.assign(out_h_ * out_w_ * gh * gw, Tap{});
      size_t t = 0;
      for (int64_t ph = 0; ph < out_h_; ++ph) {
        for (int64_t pw = 0; pw < out_w_; ++pw) {
          for (int64_t iy = 0; iy < gh; ++iy) {
            double yy = sh + ph * bin_h + (iy + 0.5) * bin_h / static_cast<double>(gh);
            for (int64_t ix = 0; ix < gw; ++ix, ++t) {
              double xx = sw + pw * bin_w + (ix + 0.5) * bin_w / static_cast<double>(gw);
              Tap& tp = taps[t];
              if (yy < -1.0 || yy > static_cast<double>(height) || xx < -1.0 ||
                  xx > static_cast<double>(width)) {
                continue;  // zero weights
              }
              double yc = std::max(yy, 0.0), xc = std::max(xx, 0.0);
              int64_t y_lo = static_cast<int64_t>(yc), x_lo = static_cast<int64_t>(xc);
              int64_t y_hi, x_hi;
              if (y_lo >= height - 1) {
                y_hi = y_lo = height - 1;
                yc = static_cast<double>(y_lo);
              } else {
                y_hi = y_lo + 1;
              }
              if (x_lo >= width - 1) {
                x_hi = x_lo = width - 1;
                xc = static_cast<double>(x_lo);
              } else {
                x_hi = x_lo + 1;
              }
              const double ly = yc - y_lo, lx = xc - x_lo, hy = 1 - ly, hx = 1 - lx;
              tp.pos[0] = y_lo * width + x_lo;
              tp.pos[1] = y_lo * width + x_hi;
              tp.pos[2] = y_hi * width + x_lo;
              tp.pos[3] = y_hi * width + x_hi;
              tp.w[0] = hy * hx;
              tp.w[1] = hy * lx;
              tp.w[2] = ly * hx;
              tp.w[3] = ly * lx;
            }
          }
        }
      }
      const int64_t per_bin = gh * gw;
      for (int64_t c = 0; c < channels; ++c) {
        const T* xc = xs + (batch[n] * channels + c) * height * width;
        T* yc = ys + ((static_cast<int64_t>(n) * channels + c) * out_h_) * out_w_;
        for (int64_t b = 0; b < out_h_ * out_w_; ++b) {
          double acc = 0;
          bool first = true;
          for (int64_t s = 0; s < per_bin; ++s) {
            const Tap& tp = taps[b * per_bin + s];
            if (max_) {
              double v = tp.w[0] * ToDouble(xc[tp.pos[0]]);
              for (int k = 1; k < 4; ++k) v = std::max(v, tp.w[k] * ToDouble(xc[tp.pos[k]]));
              acc = first ? v : std::max(acc, v);
              first = false;
            } else {
              for (int k = 0; k < 4; ++k) acc += tp.w[k] * ToDouble(xc[tp.pos[k]]);
            }
          }
          if (!max_) acc /= count;
          yc[b] = FromDouble<T>(acc);
        }
      }
    }
  }

  bool max_ = false;
  bool half_pixel_ = false;  // opset 10 behaves as output_half_pixel
  int64_t out_h_ = 1, out_w_ = 1, sampling_ratio_ = 0;
  double spatial_scale_ = 1.0;
  Status init_;
};

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
      inferred.push_back((x->dim(i + 2) - 1) * strides_[i] - pads_[i] - pads_[k + i] +
                         kernel_[i]);
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
// Col2Im.

class Col2ImKernel : public Kernel {
 public:
  explicit Col2ImKernel(const KernelInfo& info) {
    dilations_ = info.GetInts("dilations");
    pads_ = info.GetInts("pads");
    strides_ = info.GetInts("strides");
    init_ = info.status();
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* is = ctx.Input(1);
    const Tensor* bs = ctx.Input(2);
    if (x == nullptr || is == nullptr || bs == nullptr) return ctx.InvalidArgument("missing input");
    std::vector<int64_t> image, block;
    if (!ReadInt64s(*is, &image) || !ReadInt64s(*bs, &block)) {
      return ctx.InvalidArgument("image_shape and block_shape must be int64");
    }
    const int k = static_cast<int>(image.size());
    if (k == 0 || static_cast<int>(block.size()) != k) {
      return ctx.InvalidArgument("image_shape and block_shape must have the same non-zero length");
    }
    std::vector<int64_t> dil = dilations_.empty() ? std::vector<int64_t>(k, 1) : dilations_;
    std::vector<int64_t> str = strides_.empty() ? std::vector<int64_t>(k, 1) : strides_;
    std::vector<int64_t> pad = pads_.empty() ? std::vector<int64_t>(2 * k, 0) : pads_;
    if (static_cast<int>(dil.size()) != k || static_cast<int>(str.size()) != k ||
        static_cast<int>(pad.size()) != 2 * k) {
      return ctx.InvalidArgument("dilations/strides/pads do not match image_shape");
    }
    if (x->rank() != 3) {
      return ctx.InvalidArgument("input must have rank 3, got " + DimsToString(x->dims()));
    }
    int64_t block_size = 1, num_blocks = 1;
    std::vector<int64_t> nblk(k);
    for (int i = 0; i < k; ++i) {
      if (image[i] < 0 || block[i] <= 0 || dil[i] <= 0 || str[i] <= 0 || pad[i] < 0 ||
          pad[k + i] < 0) {
        return ctx.InvalidArgument("invalid image_shape/block_shape/attributes");
      }
      const int64_t eff = dil[i] * (block[i] - 1) + 1;
      const int64_t span = image[i] + pad[i] + pad[k + i] - eff;
      nblk[i] = span < 0 ? 0 : span / str[i] + 1;
      block_size *= block[i];
      num_blocks *= nblk[i];
    }
    if (x->dim(1) % block_size != 0 || x->dim(2) != num_blocks) {
      return ctx.InvalidArgument("input shape " + DimsToString(x->dims()) +
                                 " does not match block_shape and image_shape (expected C*" +
                                 std::to_string(block_size) + " rows and " +
                                 std::to_string(num_blocks) + " blocks)");
    }
    const int64_t channels = x->dim(1) / block_size;
    std::vector<int64_t> out_dims = {x->dim(0), channels};
    for (int64_t d : image) out_dims.push_back(d);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_dims));
    if (y->numel() == 0 || x->numel() == 0) return Status::Ok();
    const std::vector<int64_t> istr = ContiguousStrides(image);
    const int64_t img_size = ProductOfDims(image, 0, k);
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xs = x->data<T>();
      T* ys = y->data<T>();
      std::vector<double> acc(img_size);
      std::vector<int64_t> bpos(k), lpos(k);
      for (int64_t n = 0; n < x->dim(0); ++n) {
        for (int64_t c = 0; c < channels; ++c) {
          std::fill(acc.begin(), acc.end(), 0.0);
          for (int64_t b = 0; b < block_size; ++b) {
            int64_t rem = b;
            for (int i = k - 1; i >= 0; --i) {
              bpos[i] = rem % block[i];
              rem /= block[i];
            }
            const T* row = xs + ((n * channels + c) * block_size + b) * num_blocks;
            for (int64_t l = 0; l < num_blocks; ++l) {
              int64_t lr = l, off = 0;
              bool inside = true;
              for (int i = k - 1; i >= 0; --i) {
                const int64_t li = lr % nblk[i];
                lr /= nblk[i];
                const int64_t p = li * str[i] - pad[i] + bpos[i] * dil[i];
                if (p < 0 || p >= image[i]) {
                  inside = false;
                  break;
                }
                off += p * istr[i];
              }
              if (inside) acc[off] += ToDouble(row[l]);
            }
          }
          T* out = ys + (n * channels + c) * img_size;
          for (int64_t i = 0; i < img_size; ++i) out[i] = SaturateFromDouble<T>(acc[i]);
        }
      }
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + x->TypeString());
    return Status::Ok();
  }

 private:
  std::vector<int64_t> dilations_, pads_, strides_;
  Status init_;
};

template <typename K>
KernelFactory CheckedFactory() {
  return [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = std::make_unique<K>(info);
    if (!k->init_status().ok()) return k->init_status();
    return std::unique_ptr<Kernel>(std::move(k));
  };
}

}  // namespace

void RegisterImageKernels(KernelRegistry& r) {
  std::vector<DataType> resize_types = kNumericTypes;
  resize_types.push_back(DataType::kBool);
  const std::vector<DataType> scale_types = {DataType::kFloat, DataType::kDouble,
                                             DataType::kFloat16, DataType::kBFloat16};
  r.Register(KernelDef("Resize").Opsets(10, 10).Types("T", {0}, resize_types)
                 .Types("scales", {1}, {DataType::kFloat})
                 .HostInputs({1}),
             CheckedFactory<ResizeKernel>());
  const int resize_versions[] = {11, 13, 18, 19};
  for (int i = 0; i < 4; ++i) {
    const int end = i + 1 < 4 ? resize_versions[i + 1] - 1 : kMaxOpset;
    r.Register(KernelDef("Resize").Opsets(resize_versions[i], end)
                   .Types("T1", {0}, resize_types)
                   .Types("T2", {1}, scale_types)
                   .Types("scales", {2}, {DataType::kFloat})
                   .Types("sizes", {3}, {DataType::kInt64})
                   .HostInputs({1, 2, 3}),
               CheckedFactory<ResizeKernel>());
  }
  r.Register(KernelDef("Upsample").Opsets(1, 6).Types(
                 "T", {0},
                 {DataType::kBool, DataType::kInt32, DataType::kInt64, DataType::kFloat16,
                  DataType::kFloat, DataType::kDouble}),
             CheckedFactory<UpsampleKernel>());
  r.Register(KernelDef("Upsample").Opsets(7, 8).Types("T", {0}, resize_types),
             CheckedFactory<UpsampleKernel>());
  r.Register(KernelDef("Upsample").Opsets(9, 9).Types("T", {0}, resize_types)
                 .Types("scales", {1}, {DataType::kFloat})
                 .HostInputs({1}),
             CheckedFactory<UpsampleKernel>());
  r.Register(KernelDef("GridSample").Opsets(16, 19).Types("T1", {0}, kNumericTypes)
                 .Types("T2", {1}, kFloatTypes),
             CheckedFactory<GridSampleKernel>());
  r.Register(KernelDef("GridSample").Opsets(20).Types("T1", {0}, kNumericTypes)
                 .Types("T2", {1}, kFloatTypes),
             CheckedFactory<GridSampleKernel>());
  r.Register(KernelDef("RoiAlign").Opsets(10, 15).Types("T1", {0, 1}, kFloatTypes)
                 .Types("T2", {2}, {DataType::kInt64}),
             CheckedFactory<RoiAlignKernel>());
  r.Register(KernelDef("RoiAlign").Opsets(16).Types("T1", {0, 1}, kFloatTypes)
                 .Types("T2", {2}, {DataType::kInt64}),
             CheckedFactory<RoiAlignKernel>());
  r.Register(KernelDef("MaxRoiPool").Opsets(1, 21).Types("T", {0, 1}, kFloatTypes),
             CheckedFactory<MaxRoiPoolKernel>());
  r.Register(KernelDef("MaxRoiPool").Opsets(22).Types("T", {0, 1}, kFloatTypes),
             CheckedFactory<MaxRoiPoolKernel>());
  r.Register(KernelDef("MaxUnpool").Opsets(9, 10).Types("T1", {0}, kNumericTypes)
                 .Types("T2", {1}, {DataType::kInt64}),
             CheckedFactory<MaxUnpoolKernel>());
  r.Register(KernelDef("MaxUnpool").Opsets(11).Types("T1", {0}, kNumericTypes)
                 .Types("T2", {1, 2}, {DataType::kInt64})
                 .HostInputs({2}),
             CheckedFactory<MaxUnpoolKernel>());
  r.Register(KernelDef("Col2Im").Opsets(18).Types("T", {0}, kNumericTypes)
                 .HostInputs({1, 2}),
             CheckedFactory<Col2ImKernel>());
}

}  // namespace kiln::cpu
