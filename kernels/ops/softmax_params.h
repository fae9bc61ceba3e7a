// The softmax family's semantics shared by the CPU and CUDA kernels (kernels/cpu/softmax.cc,
// kernels/cuda/softmax.cc): Softmax, LogSoftmax and Hardmax reduce along `axis`, or before opset
// 13 over the input coerced to 2-D [prod(d[:axis]), prod(d[axis:])]. Plain C++ on
// kernels/api/kernel.h and kernels/ops/common.h.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/ops/common.h"
#include "kernels/api/kernel.h"

namespace kiln::ops {

struct SoftmaxAttrs {
  int64_t axis = -1;
  bool flatten = false;  // opset < 13: coerce to 2-D at axis
};

// axis defaults to 1 before opset 13 (which flattens), -1 from 13.
inline SoftmaxAttrs ReadSoftmaxAttrs(const KernelInfo& info) {
  SoftmaxAttrs a;
  a.flatten = info.opset() < 13;
  a.axis = info.GetInt("axis", a.flatten ? 1 : -1);
  return a;
}

// x viewed as [outer, n, inner]: the softmax runs over n for each (outer, inner).
struct SoftmaxSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

// Checks x's rank (>= 1) and the axis.
inline StatusOr<SoftmaxSplit> PlanSoftmax(const KernelContext& ctx, const SoftmaxAttrs& attrs,
                                          const Tensor& x) {
  const int rank = x.rank();
  if (rank == 0) return ctx.InvalidArgument("input must have rank >= 1, got a scalar");
  KILN_ASSIGN_OR_RETURN(int axis, NormalizeAxis(attrs.axis, rank, ctx.node()));
  const std::vector<int64_t>& d = x.dims();
  SoftmaxSplit s;
  s.outer = ProductOfDims(d, 0, axis);
  if (attrs.flatten) {
    s.n = ProductOfDims(d, axis, rank);
    s.inner = 1;
  } else {
    s.n = d[axis];
    s.inner = ProductOfDims(d, axis + 1, rank);
  }
  return s;
}

}  // namespace kiln::ops
