// The element-wise family's checks shared by the CPU and CUDA kernels (kernels/cpu/binary.cc,
// kernels/cuda/elementwise.cc). Plain C++ on kernels/api/kernel.h.
#pragma once

#include "kernels/api/kernel.h"

namespace kiln::cpu {

// Input i as a tensor; the error names the input.
Status GetTensorInput(const KernelContext& ctx, int i, const Tensor** t);

// Where(condition, X, Y): the three inputs, condition bool and X and Y of one element type.
Status GetWhereInputs(const KernelContext& ctx, const Tensor** c, const Tensor** x,
                      const Tensor** y);

}  // namespace kiln::cpu
