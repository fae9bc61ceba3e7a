// The element-wise family's checks shared by the CPU and CUDA kernels (kernels/cpu/binary.cc and
// unary.cc, kernels/cuda/binary.cc and unary.cc). Plain C++ on kernels/api/kernel.h.
#pragma once

#include "kernels/api/kernel.h"

namespace kiln::ops {

// Input i as a tensor; the error names the input.
Status GetTensorInput(const KernelContext& ctx, int i, const Tensor** t);

// Where(condition, X, Y): the three inputs, condition bool and X and Y of one element type.
Status GetWhereInputs(const KernelContext& ctx, const Tensor** c, const Tensor** x,
                      const Tensor** y);

// Clip's bounds: before opset 11 the float attributes min and max (ignored for integer inputs);
// from 11 the optional inputs min and max.
struct ClipAttrs {
  explicit ClipAttrs(const KernelInfo& info);
  bool from_attributes = false;  // opset < 11
  float min = 0, max = 0;        // the attributes' values (their defaults: float's extremes)
};

// From opset 11: the min and max inputs (nullptr where not given), each a one-element tensor of
// X's element type.
Status GetClipBoundInputs(const KernelContext& ctx, const Tensor& x, const Tensor* bounds[2]);

}  // namespace kiln::ops
