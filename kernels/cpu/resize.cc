// Resize-family CPU kernels: spatial resampling.
//   Resize      opsets 10 (scales only, asymmetric), 11-12, 13-17, 18, 19+ (modes nearest, linear,
//               cubic; every coordinate_transformation_mode; roi, scales or sizes; antialias,
//               axes and keep_aspect_ratio_policy from 18)
//   Upsample    opset 1 (height_scale/width_scale, NCHW), 7-8 (scales attribute), 9 (scales input)
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
#include "kernels/cpu/threads.h"
#include "kernels/ops/common.h"
#include "kernels/ops/resize_params.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// ---------------------------------------------------------------------------------------------
// Resize / Upsample.

// One resized axis: per output index, a window start and `n` weights (nearest: n == 1, weight 1).
struct AxisPlan {
  int axis = 0;
  int64_t in = 0;
  int64_t out = 0;
  int n = 1;
  std::vector<int64_t> idx;     // out * n source indices, already clamped
  std::vector<double> weights;  // out * n
  std::vector<uint8_t> extrap;  // out flags (tf_crop_and_resize)
};

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
        case NearestMode::kRoundPreferFloor:
          up = ratio > 0.5;
          break;
        case NearestMode::kRoundPreferCeil:
          up = ratio >= 0.5;
          break;
        case NearestMode::kFloor:
          up = ratio == 1;
          break;
        default:
          up = true;
          break;
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

// float32 two-tap (linear) resampling of the last two axes only, no extrapolation: the case of
// every segmentation head and feature-pyramid upsampling. Each output is the 2x2 blend of its
// taps, computed in float, split over (plane, output row). False when the case is another.
bool LinearLast2d(const Tensor& x, const std::vector<AxisPlan>& plans, Tensor* y) {
  const int rank = x.rank();
  if (x.dtype() != DataType::kFloat || rank < 2 || plans.empty()) return false;
  const AxisPlan* ph = nullptr;
  const AxisPlan* pw = nullptr;
  for (const AxisPlan& plan : plans) {
    if (plan.n != 2 || plan.axis < rank - 2) return false;
    for (uint8_t e : plan.extrap) {
      if (e) return false;
    }
    (plan.axis == rank - 2 ? ph : pw) = &plan;
  }
  const int64_t h = x.dim(rank - 2), w = x.dim(rank - 1);
  const int64_t oh = y->dim(rank - 2), ow = y->dim(rank - 1);
  // Per output index along an axis: two source indices and weights (identity when not resized).
  auto taps = [](const AxisPlan* plan, int64_t out, std::vector<int64_t>* idx,
                 std::vector<float>* wt) {
    idx->resize(2 * out);
    wt->resize(2 * out);
    for (int64_t j = 0; j < out; ++j) {
      for (int k = 0; k < 2; ++k) {
        (*idx)[2 * j + k] = plan != nullptr ? plan->idx[2 * j + k] : j;
        (*wt)[2 * j + k] = plan != nullptr ? static_cast<float>(plan->weights[2 * j + k])
                                           : (k == 0 ? 1.0f : 0.0f);
      }
    }
  };
  std::vector<int64_t> hi, wi;
  std::vector<float> hw, ww;
  taps(ph, oh, &hi, &hw);
  taps(pw, ow, &wi, &ww);
  const int64_t planes = h * w == 0 ? 0 : x.numel() / (h * w);
  const float* xs = x.data<float>();
  float* ys = y->data<float>();
  ParallelFor(planes * oh, std::max<int64_t>(1, 16384 / std::max<int64_t>(ow, 1)),
              [&](int64_t begin, int64_t end) {
                for (int64_t unit = begin; unit < end; ++unit) {
                  const int64_t plane = unit / oh, r = unit % oh;
                  const float* r0 = xs + (plane * h + hi[2 * r]) * w;
                  const float* r1 = xs + (plane * h + hi[2 * r + 1]) * w;
                  const float a = hw[2 * r], b = hw[2 * r + 1];
                  float* out = ys + unit * ow;
                  for (int64_t j = 0; j < ow; ++j) {
                    const int64_t x0 = wi[2 * j], x1 = wi[2 * j + 1];
                    const float c = ww[2 * j], d = ww[2 * j + 1];
                    // Zero weights are skipped, as the general path does (0 * inf is NaN).
                    const float t0 = (c == 0 ? 0.0f : c * r0[x0]) + (d == 0 ? 0.0f : d * r0[x1]);
                    const float t1 = (c == 0 ? 0.0f : c * r1[x0]) + (d == 0 ? 0.0f : d * r1[x1]);
                    out[j] = (a == 0 ? 0.0f : a * t0) + (b == 0 ? 0.0f : b * t1);
                  }
                }
              });
  return true;
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
  if (LinearLast2d(x, plans, y)) return Status::Ok();
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

}  // namespace

void RegisterResizeKernels(KernelRegistry& r) {
  std::vector<DataType> resize_types = kNumericTypes;
  resize_types.push_back(DataType::kBool);
  const std::vector<DataType> scale_types = {DataType::kFloat, DataType::kDouble,
                                             DataType::kFloat16, DataType::kBFloat16};
  r.Register(KernelDef("Resize")
                 .Opsets(10, 10)
                 .Types("T", {0}, resize_types)
                 .Types("scales", {1}, {DataType::kFloat})
                 .HostInputs({1}),
             MakeCheckedKernel<ResizeKernel>());
  const int resize_versions[] = {11, 13, 18, 19};
  for (int i = 0; i < 4; ++i) {
    const int end = i + 1 < 4 ? resize_versions[i + 1] - 1 : kMaxOpset;
    r.Register(KernelDef("Resize")
                   .Opsets(resize_versions[i], end)
                   .Types("T1", {0}, resize_types)
                   .Types("T2", {1}, scale_types)
                   .Types("scales", {2}, {DataType::kFloat})
                   .Types("sizes", {3}, {DataType::kInt64})
                   .HostInputs({1, 2, 3}),
               MakeCheckedKernel<ResizeKernel>());
  }
  r.Register(KernelDef("Upsample")
                 .Opsets(1, 6)
                 .Types("T", {0},
                        {DataType::kBool, DataType::kInt32, DataType::kInt64, DataType::kFloat16,
                         DataType::kFloat, DataType::kDouble}),
             MakeCheckedKernel<UpsampleKernel>());
  r.Register(KernelDef("Upsample").Opsets(7, 8).Types("T", {0}, resize_types),
             MakeCheckedKernel<UpsampleKernel>());
  r.Register(KernelDef("Upsample")
                 .Opsets(9, 9)
                 .Types("T", {0}, resize_types)
                 .Types("scales", {1}, {DataType::kFloat})
                 .HostInputs({1}),
             MakeCheckedKernel<UpsampleKernel>());
}

}  // namespace kiln::cpu
