// Resize's semantics shared by the CPU and CUDA kernels (kernels/cpu/resize.cc,
// kernels/cuda/resize.cc): the attributes per opset (10: scales only, asymmetric, nearest floor;
// 11+; 18+ antialias, axes, keep_aspect_ratio_policy; 19+ half_pixel_symmetric), the roi /
// scales / sizes inputs, the output dims and which axes are resampled. Plain C++ on
// kernels/api/kernel.h.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/api/kernel.h"
#include "kernels/ops/resize_kind.h"

namespace kiln::ops {

enum class ResizeMode { kNearest, kLinear, kCubic };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttrs {
  ResizeMode mode = ResizeMode::kNearest;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  AspectPolicy policy = AspectPolicy::kStretch;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;
  double extrapolation = 0.0;
  std::vector<int64_t> axes;  // as given (may be negative); empty: all
};

// What a kernel lacks: with cubic (or antialias) false, mode 'cubic' (antialias = 1) is an
// Unsupported error "attribute ... is not supported on <device>".
struct ResizeSupport {
  bool cubic = true;
  bool antialias = true;
  const char* device = "";
};

// Reads the node's attributes into *attrs; returns the error that creating the kernel reports
// (InvalidModel for an unknown mode, coordinate_transformation_mode, nearest_mode or
// keep_aspect_ratio_policy, or info.status()).
Status ReadResizeAttrs(const KernelInfo& info, ResizeAttrs* attrs,
                       const ResizeSupport& support = {});

// Per axis of x (rank >= 1): the scale and the output dim, from the scales or the sizes input
// (exactly one, non-empty; over attrs.axes, with keep_aspect_ratio_policy for sizes), and the roi
// (2 * rank values: starts, then ends; only with tf_crop_and_resize, else empty).
struct ResizeShape {
  std::vector<double> scales;
  std::vector<int64_t> out_dims;
  std::vector<double> roi;
};
StatusOr<ResizeShape> PlanResizeShape(const KernelContext& ctx, const ResizeAttrs& attrs,
                                      const Tensor& x);

// An axis that is resampled; the others (scale 1, same size, full roi) copy their index.
struct ResizedAxis {
  int axis = 0;
  int64_t in = 0, out = 0;  // in > 0
  double scale = 1.0;
  double roi_start = 0.0, roi_end = 1.0;
};
// The resampled axes for per-axis scales / out_dims and roi (as in ResizeShape); an error for an
// empty axis resized to a non-empty size.
StatusOr<std::vector<ResizedAxis>> ResizedAxes(const KernelContext& ctx, const ResizeAttrs& attrs,
                                               const Tensor& x, const std::vector<double>& scales,
                                               const std::vector<int64_t>& out_dims,
                                               const std::vector<double>& roi);

// Reads a float / double / float16 / bfloat16 tensor into doubles (false for other types).
bool ReadDoubles(const Tensor& t, std::vector<double>* out);
// The cubic convolution weight at distance x with coefficient a (Keys; Resize's cubic_coeff_a,
// GridSample's fixed -0.75).
inline double CubicWeight(double x, double a) {
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}
// Reads an int32 / int64 tensor into int64s (false for other types).
bool ReadInt64s(const Tensor& t, std::vector<int64_t>* out);

}  // namespace kiln::ops
