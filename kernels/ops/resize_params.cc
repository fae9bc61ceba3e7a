#include "kernels/ops/resize_params.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/ops/common.h"

namespace kiln::ops {

bool ReadDoubles(const Tensor& t, std::vector<double>* out) {
  out->resize(t.numel());
  return Dispatch<KILN_FLOAT_TYPES>(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) (*out)[i] = ToDouble(p[i]);
  });
}

bool ReadInt64s(const Tensor& t, std::vector<int64_t>* out) {
  out->resize(t.numel());
  return Dispatch<int32_t, int64_t>(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) (*out)[i] = static_cast<int64_t>(p[i]);
  });
}

Status ReadResizeAttrs(const KernelInfo& info, ResizeAttrs* attrs, const ResizeSupport& support) {
  const int opset = info.opset();
  ResizeAttrs& p = *attrs;
  const std::string mode = info.GetString("mode", "nearest");
  if (mode == "nearest") {
    p.mode = ResizeMode::kNearest;
  } else if (mode == "linear" || (opset < 11 && mode == "bilinear")) {
    p.mode = ResizeMode::kLinear;
  } else if (mode == "cubic" && opset >= 11) {
    if (!support.cubic) {
      return info.Unsupported(std::string("attribute 'mode' = 'cubic' is not supported on ") +
                              support.device);
    }
    p.mode = ResizeMode::kCubic;
  } else {
    return info.InvalidModel("unsupported mode '" + mode + "'");
  }
  if (opset < 11) {
    p.coord = CoordMode::kAsymmetric;
    p.nearest = NearestMode::kFloor;
  } else {
    const std::string ct = info.GetString("coordinate_transformation_mode", "half_pixel");
    if (ct == "half_pixel") {
      p.coord = CoordMode::kHalfPixel;
    } else if (ct == "half_pixel_symmetric" && opset >= 19) {
      p.coord = CoordMode::kHalfPixelSymmetric;
    } else if (ct == "pytorch_half_pixel") {
      p.coord = CoordMode::kPytorchHalfPixel;
    } else if (ct == "align_corners") {
      p.coord = CoordMode::kAlignCorners;
    } else if (ct == "asymmetric") {
      p.coord = CoordMode::kAsymmetric;
    } else if (ct == "tf_half_pixel_for_nn" && opset < 13) {
      p.coord = CoordMode::kTfHalfPixelForNn;
    } else if (ct == "tf_crop_and_resize") {
      p.coord = CoordMode::kTfCropAndResize;
    } else {
      return info.InvalidModel("unsupported coordinate_transformation_mode '" + ct + "'");
    }
    const std::string nm = info.GetString("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") {
      p.nearest = NearestMode::kRoundPreferFloor;
    } else if (nm == "round_prefer_ceil") {
      p.nearest = NearestMode::kRoundPreferCeil;
    } else if (nm == "floor") {
      p.nearest = NearestMode::kFloor;
    } else if (nm == "ceil") {
      p.nearest = NearestMode::kCeil;
    } else {
      return info.InvalidModel("unsupported nearest_mode '" + nm + "'");
    }
    if (support.cubic) p.cubic_a = info.GetFloat("cubic_coeff_a", -0.75f);
    p.exclude_outside = info.GetInt("exclude_outside", 0) != 0;
    p.extrapolation = info.GetFloat("extrapolation_value", 0.0f);
  }
  if (opset >= 18) {
    p.antialias = info.GetInt("antialias", 0) != 0;
    if (p.antialias && !support.antialias) {
      return info.Unsupported(std::string("attribute 'antialias' = 1 is not supported on ") +
                              support.device);
    }
    p.axes = info.GetInts("axes");
    const std::string pol = info.GetString("keep_aspect_ratio_policy", "stretch");
    if (pol == "stretch") {
      p.policy = AspectPolicy::kStretch;
    } else if (pol == "not_larger") {
      p.policy = AspectPolicy::kNotLarger;
    } else if (pol == "not_smaller") {
      p.policy = AspectPolicy::kNotSmaller;
    } else {
      return info.InvalidModel("unsupported keep_aspect_ratio_policy '" + pol + "'");
    }
    if (p.antialias && p.mode == ResizeMode::kNearest) {
      return info.InvalidModel("antialias is not supported with mode 'nearest'");
    }
  }
  return info.status();
}

StatusOr<ResizeShape> PlanResizeShape(const KernelContext& ctx, const ResizeAttrs& attrs,
                                      const Tensor& x) {
  const int rank = x.rank();
  const int opset = ctx.opset();
  // Resized axes.
  std::vector<int> axes;
  if (attrs.axes.empty()) {
    for (int a = 0; a < rank; ++a) axes.push_back(a);
  } else {
    std::vector<bool> seen(rank, false);
    for (int64_t a : attrs.axes) {
      KILN_ASSIGN_OR_RETURN(int na, NormalizeAxis(a, rank, ctx.node()));
      if (seen[na]) return ctx.InvalidArgument("axes contains a duplicate axis");
      seen[na] = true;
      axes.push_back(na);
    }
  }
  const int naxes = static_cast<int>(axes.size());
  // Host inputs.
  const Tensor* roi_t = opset >= 11 ? ctx.Input(1) : nullptr;
  const Tensor* scales_t = ctx.Input(opset >= 11 ? 2 : 1);
  const Tensor* sizes_t = opset >= 11 ? ctx.Input(3) : nullptr;
  if (scales_t != nullptr && scales_t->numel() == 0) scales_t = nullptr;
  if (sizes_t != nullptr && sizes_t->numel() == 0) sizes_t = nullptr;
  if ((scales_t == nullptr) == (sizes_t == nullptr)) {
    return ctx.InvalidArgument("exactly one of 'scales' and 'sizes' must be given (non-empty)");
  }
  ResizeShape shape;
  std::vector<double>& scales = shape.scales;
  std::vector<int64_t>& out_dims = shape.out_dims;
  scales.assign(rank, 1.0);
  out_dims = x.dims();
  if (scales_t != nullptr) {
    std::vector<double> s;
    if (!ReadDoubles(*scales_t, &s)) return ctx.InvalidArgument("scales must be float");
    if (static_cast<int>(s.size()) != naxes) {
      return ctx.InvalidArgument("scales has " + std::to_string(s.size()) +
                                 " values, expected " + std::to_string(naxes));
    }
    for (int i = 0; i < naxes; ++i) {
      if (!(s[i] > 0) || !std::isfinite(s[i])) {
        return ctx.InvalidArgument("scales must be positive and finite");
      }
      const int a = axes[i];
      scales[a] = s[i];
      const double o = std::floor(s[i] * static_cast<double>(x.dim(a)));
      if (o > 9.0e15) return ctx.InvalidArgument("output size overflows");
      out_dims[a] = static_cast<int64_t>(o);
    }
  } else {
    std::vector<int64_t> s;
    if (!ReadInt64s(*sizes_t, &s)) return ctx.InvalidArgument("sizes must be int64");
    if (static_cast<int>(s.size()) != naxes) {
      return ctx.InvalidArgument("sizes has " + std::to_string(s.size()) +
                                 " values, expected " + std::to_string(naxes));
    }
    for (int i = 0; i < naxes; ++i) {
      if (s[i] < 0) return ctx.InvalidArgument("sizes must be non-negative");
      if (x.dim(axes[i]) == 0 && s[i] != 0) {
        return ctx.InvalidArgument("cannot resize an axis of size 0 to a non-empty size");
      }
    }
    for (int i = 0; i < naxes; ++i) {
      const int a = axes[i];
      out_dims[a] = s[i];
      scales[a] =
          x.dim(a) == 0 ? 1.0 : static_cast<double>(s[i]) / static_cast<double>(x.dim(a));
    }
    if (attrs.policy != AspectPolicy::kStretch) {
      double sc = scales[axes[0]];
      for (int a : axes) {
        sc = attrs.policy == AspectPolicy::kNotLarger ? std::min(sc, scales[a])
                                                      : std::max(sc, scales[a]);
      }
      for (int a : axes) {
        scales[a] = sc;
        out_dims[a] = static_cast<int64_t>(sc * static_cast<double>(x.dim(a)) + 0.5);
      }
    }
  }
  if (attrs.coord == CoordMode::kTfCropAndResize) {
    if (roi_t == nullptr || roi_t->numel() == 0) {
      return ctx.InvalidArgument("roi is required with tf_crop_and_resize");
    }
    std::vector<double> r;
    if (!ReadDoubles(*roi_t, &r)) return ctx.InvalidArgument("roi must be a float tensor");
    if (static_cast<int>(r.size()) != 2 * naxes) {
      return ctx.InvalidArgument("roi has " + std::to_string(r.size()) + " values, expected " +
                                 std::to_string(2 * naxes));
    }
    shape.roi.assign(2 * rank, 0.0);
    for (int a = 0; a < rank; ++a) shape.roi[rank + a] = 1.0;
    for (int i = 0; i < naxes; ++i) {
      shape.roi[axes[i]] = r[i];
      shape.roi[rank + axes[i]] = r[naxes + i];
    }
  }
  return shape;
}

StatusOr<std::vector<ResizedAxis>> ResizedAxes(const KernelContext& ctx, const ResizeAttrs& attrs,
                                               const Tensor& x, const std::vector<double>& scales,
                                               const std::vector<int64_t>& out_dims,
                                               const std::vector<double>& roi) {
  const int rank = x.rank();
  std::vector<ResizedAxis> axes;
  for (int a = 0; a < rank; ++a) {
    ResizedAxis ax;
    ax.axis = a;
    ax.in = x.dim(a);
    ax.out = out_dims[a];
    ax.scale = scales[a];
    ax.roi_start = roi.empty() ? 0.0 : roi[a];
    ax.roi_end = roi.empty() ? 1.0 : roi[a + rank];
    const bool identity = std::fabs(ax.scale - 1.0) < 1e-9 && ax.out == ax.in &&
                          (attrs.coord != CoordMode::kTfCropAndResize ||
                           (std::fabs(ax.roi_start) < 1e-9 && std::fabs(ax.roi_end - 1) < 1e-9));
    if (identity) continue;
    if (ax.in == 0) {
      return ctx.InvalidArgument("cannot resize an axis of size 0 to a non-empty size");
    }
    axes.push_back(ax);
  }
  return axes;
}

}  // namespace kiln::ops
