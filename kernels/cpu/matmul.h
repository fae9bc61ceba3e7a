// What matmul.cc offers other CPU kernel families: the MatMul and Gemm computations, which
// kernels/cpu/fused.cc extends with an epilogue (kiln's FusedMatMul and FusedGemm). Only
// kernels/cpu includes this.
#pragma once

#include "runtime/kernel.h"

namespace kiln::cpu {

// Gemm's attributes.
struct GemmAttrs {
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.0f;
  float beta = 1.0f;
};

// Reads transA, transB, alpha and beta (Gemm's defaults when absent).
GemmAttrs ReadGemmAttrs(const KernelInfo& info);

// Y = alpha * op(A) * op(B) + beta * C with A, B, C? the node's inputs 0..2 (C unidirectionally
// broadcast to [M, N]); allocates output 0 and sets *y to it. Any element type Gemm accepts.
// Shape and type errors name the node.
Status RunGemm(KernelContext& ctx, const GemmAttrs& attrs, Tensor** y);

// Y = MatMul(A, B) with numpy semantics (batched, broadcast, 1-D operands) for the node's inputs 0
// and 1; allocates output 0 and sets *y to it. Any element type MatMul accepts.
Status RunMatMul(KernelContext& ctx, Tensor** y);

}  // namespace kiln::cpu
