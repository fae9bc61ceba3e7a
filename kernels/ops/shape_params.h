// The shape family's semantics shared by the CPU and CUDA kernels (kernels/cpu/shape.cc,
// kernels/cuda/shape.cc): the attributes and host inputs of Reshape, Flatten, Squeeze,
// Unsqueeze, Shape and ConstantOfShape, their checks and errors, and the output dims. Reshape,
// Flatten, Squeeze and Unsqueeze return views of their input (Tensor::Reshaped), on any device.
// Plain C++ on kernels/api/kernel.h.
#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "kernels/api/kernel.h"

namespace kiln::ops {

// Reshape: the shape attribute before opset 5, the 1-D input 1 from 5 (allowzero 14+). A 0 copies
// the input's dim (unless allowzero), one -1 is inferred.
struct ReshapeAttrs {
  bool allowzero = false;
  bool from_attr = false;  // opset < 5
  std::vector<int64_t> shape;
};
ReshapeAttrs ReadReshapeAttrs(const KernelInfo& info);
StatusOr<Tensor> ReshapeView(const KernelContext& ctx, const ReshapeAttrs& attrs, const Tensor& x);

// Flatten: x as 2-D [prod(d[:axis]), prod(d[axis:])], axis in [-rank, rank] (default 1).
StatusOr<Tensor> FlattenView(const KernelContext& ctx, int64_t axis, const Tensor& x);

// Squeeze / Unsqueeze: axes from the attribute (before opset 13) or input 1. Squeeze without
// axes drops every dim of size 1; Unsqueeze requires them.
struct SqueezeAxesAttrs {
  bool from_attr = false;  // opset < 13
  bool has_attr = false;
  std::vector<int64_t> axes;
};
SqueezeAxesAttrs ReadSqueezeAxesAttrs(const KernelInfo& info);
StatusOr<Tensor> SqueezeView(const KernelContext& ctx, const SqueezeAxesAttrs& attrs,
                             const Tensor& x);
StatusOr<Tensor> UnsqueezeView(const KernelContext& ctx, const SqueezeAxesAttrs& attrs,
                               const Tensor& x);

// Shape: the dims [begin, end) of x, from start / end (15+; negative counts from the back,
// clamped to [0, rank]).
struct ShapeAttrs {
  int64_t start = 0;
  int64_t end = std::numeric_limits<int64_t>::max();
};
ShapeAttrs ReadShapeAttrs(const KernelInfo& info);
std::pair<int64_t, int64_t> ShapeRange(const ShapeAttrs& attrs, int rank);

// ConstantOfShape: the value attribute (default float 0) and the output dims from the 1-D input.
Tensor ConstantOfShapeValue(const KernelInfo& info);
StatusOr<std::vector<int64_t>> ConstantOfShapeDims(const KernelContext& ctx, const Tensor& shape);

}  // namespace kiln::ops
