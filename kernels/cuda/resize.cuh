// Launcher of the CUDA Resize kernel (resize.cu): nearest (exact gather) and N-linear
// interpolation over the resized axes, for float, float16 and bfloat16 (linear computes in float).
// Source coordinates are computed per output element in double precision with the same
// operations, in the same order, as the CPU kernel (kernels/cpu/resize.cc), so nearest picks the
// same pixels.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/ops/resize_kind.h"

namespace kiln::cuda {

constexpr int kMaxResizeDims = 8;

// The modes the CPU kernel reads from the attributes (kernels/ops/resize_kind.h).
using ResizeCoord = ops::CoordMode;
using ResizeNearest = ops::NearestMode;
enum class ResizeElem : int { kFloat = 0, kFloat16, kBFloat16 };

// One resized (non-identity) axis.
struct ResizeAxis {
  int dim = 0;           // which dim of the tensor
  int64_t in = 0;        // input size (> 0)
  int64_t out = 0;       // output size
  double scale = 1.0;    // output / input as the CPU kernel derives it
  double roi_start = 0;  // tf_crop_and_resize
  double roi_end = 1;
};

struct ResizeParams {
  int rank = 0;
  int64_t out_dims[kMaxResizeDims] = {};
  int64_t in_strides[kMaxResizeDims] = {};  // elements
  int num_axes = 0;                         // resized axes; the others copy their index
  ResizeAxis axes[kMaxResizeDims];
  bool linear = false;  // else nearest
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
  bool exclude_outside = false;
  float extrapolation = 0.0f;  // tf_crop_and_resize, outside the roi
};

// y (contiguous over out_dims, n elements) from x (contiguous).
cudaError_t LaunchResize(void* dst, const void* src, ResizeElem elem, const ResizeParams& p,
                         int64_t n, cudaStream_t stream);

}  // namespace kiln::cuda
